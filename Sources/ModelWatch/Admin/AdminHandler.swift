import ModelWatchMetrics
import ModelWatchProxy
import NIOCore
import NIOHTTP1

/// Serves the admin port: `/healthz` (the sidecar is alive), `/readyz` (the backend is ready),
/// `/metrics` (the Prometheus exposition) and Prometheus's HTTP query API under `/api/v1/`.
///
/// The admin port is a separate listener, loopback by default, so nothing a client sends to the
/// data port can reach it. API requests are answered asynchronously: the handler hands them to
/// the read plane and writes the answer when it comes, so a slow query never blocks the event
/// loop, and `HTTPServerPipelineHandler` holds a connection's next request until then.
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The largest API request body (a form-encoded POST) read; larger ones get 413.
    static let maxBodySize = 1 << 20

    private let readiness: ReadinessProbe?
    private let catalogue: MetricCatalogue?
    private let api: PrometheusAPI?
    private let statusPage: StatusPage?
    private var request: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyTooLarge = false

    /// - Parameters:
    ///   - readiness: the backend's readiness; `nil` when serving a store file alone (always ready).
    ///   - catalogue: what `/metrics` exposes; `nil` for no `/metrics`.
    ///   - api: the query API; `nil` for none.
    ///   - statusPage: the page at `/` and `/models/<model>`; `nil` for none.
    init(readiness: ReadinessProbe?, catalogue: MetricCatalogue?, api: PrometheusAPI? = nil, statusPage: StatusPage? = nil) {
        self.readiness = readiness
        self.catalogue = catalogue
        self.api = api
        self.statusPage = statusPage
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.request = head
            self.body.removeAll(keepingCapacity: false)
            self.bodyTooLarge = false
        case .body(let buffer):
            if self.body.count + buffer.readableBytes > Self.maxBodySize {
                self.bodyTooLarge = true
            } else {
                self.body.append(contentsOf: buffer.readableBytesView)
            }
        case .end:
            guard let head = self.request else { return }
            self.request = nil
            if let api = self.api, head.uri.hasPrefix("/api/") {
                self.answerAPI(head, api: api, context: context)
                return
            }
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            if let page = self.statusPage, head.method == .GET || head.method == .HEAD,
                path == "/" || path == "/index.html" || path.hasPrefix("/models/")
            {
                self.answerStatusPage(head, path: path, page: page, context: context)
                return
            }
            if head.method == .GET || head.method == .HEAD, head.uri.split(separator: "?").first == "/metrics",
                let catalogue = self.catalogue
            {
                let catalogue = catalogue
                if let readiness = self.readiness { catalogue.setUpstreamUp(readiness.status.isReady) }
                let body = ByteBuffer(bytes: catalogue.exposition())
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
            guard let readiness = self.readiness else { return (.ok, #"{"status":"ready","detail":"serving a store file"}"#) }
            let status = readiness.status
            let quoted = JSONString.quoted(status.detail)
            return status.isReady
                ? (.ok, #"{"status":"ready","detail":"# + quoted + "}")
                : (.serviceUnavailable, #"{"status":"not ready","detail":"# + quoted + "}")
        default:
            return (.notFound, #"{"error":"not found"}"#)
        }
    }

    /// Hands an API request to the read plane; the answer is written on this event loop when
    /// it comes, and nothing waits for it here.
    private func answerAPI(_ head: HTTPRequestHead, api: PrometheusAPI, context: ChannelHandlerContext) {
        if self.bodyTooLarge {
            let answer = APIResponse.error(.badData, "request body larger than \(Self.maxBodySize) bytes")
            self.respond(
                status: .payloadTooLarge, contentType: "application/json", body: ByteBuffer(string: answer.body), to: head, context: context
            )
            return
        }
        let request = APIRequest(
            method: head.method.rawValue, uri: head.uri, contentType: head.headers.first(name: "content-type"), body: self.body)
        self.body = []
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        loop.makeFutureWithTask { await api.respond(to: request) }.whenComplete { result in
            let (handler, context) = bound.value
            let answer = (try? result.get()) ?? APIResponse.error(.internal, "the query was abandoned")
            handler.respond(
                status: HTTPResponseStatus(statusCode: answer.status), contentType: "application/json",
                body: ByteBuffer(string: answer.body),
                to: head, context: context)
        }
    }

    /// Renders the status page off the event loop (its numbers come from the read plane).
    private func answerStatusPage(_ head: HTTPRequestHead, path: String, page: StatusPage, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        loop.makeFutureWithTask { await page.respond(to: path) }.whenComplete { result in
            let (handler, context) = bound.value
            let answer: (status: Int, html: String) = (try? result.get()) ?? (404, StatusHTML.notFound(path))
            handler.respond(
                status: HTTPResponseStatus(statusCode: answer.status), contentType: "text/html; charset=utf-8",
                body: ByteBuffer(string: answer.html), to: head, context: context)
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
