import ModelWatchMetrics
import ModelWatchProxy
import NIOCore
import NIOHTTP1

/// Serves the admin port: `/healthz` (the sidecar is alive), `/readyz` (the backend is ready) and
/// `/metrics` (the Prometheus exposition).
///
/// The admin port is a separate listener, loopback by default, so nothing a client sends to the
/// data port can reach it.
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let readiness: ReadinessProbe
    private let catalogue: MetricCatalogue
    private var request: HTTPRequestHead?

    init(readiness: ReadinessProbe, catalogue: MetricCatalogue) {
        self.readiness = readiness
        self.catalogue = catalogue
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.request = head
        case .body:
            break
        case .end:
            guard let head = self.request else { return }
            self.request = nil
            if head.method == .GET || head.method == .HEAD, head.uri.split(separator: "?").first == "/metrics" {
                self.catalogue.setUpstreamUp(self.readiness.status.isReady)
                let body = ByteBuffer(bytes: self.catalogue.exposition())
                self.respond(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: body, to: head, context: context)
                return
            }
            let (status, json) = self.answer(head)
            self.respond(status: status, contentType: "application/json", body: ByteBuffer(string: json), to: head, context: context)
        }
    }

    private func answer(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard head.method == .GET || head.method == .HEAD else {
            return (.methodNotAllowed, #"{"error":"only GET and HEAD are served here"}"#)
        }
        switch path {
        case "/healthz":
            return (.ok, #"{"status":"ok"}"#)
        case "/readyz":
            let status = self.readiness.status
            let quoted = JSONString.quoted(status.detail)
            return status.isReady
                ? (.ok, #"{"status":"ready","detail":"# + quoted + "}")
                : (.serviceUnavailable, #"{"status":"not ready","detail":"# + quoted + "}")
        default:
            return (.notFound, #"{"error":"not found"}"#)
        }
    }

    private func respond(
        status: HTTPResponseStatus, contentType: String, body: ByteBuffer, to request: HTTPRequestHead, context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "cache-control", value: "no-store")
        if !request.isKeepAlive {
            headers.add(name: "connection", value: "close")
        }
        context.write(
            self.wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if request.method != .HEAD {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let done = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
        if !request.isKeepAlive {
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
