import NIOCore
import NIOEmbedded
import NIOHTTP1

@testable import ModelWatchProxy

/// The data port's request path as a client reaches it: the connection clock, NIO's HTTP/1.1
/// server codec as `ProxyServer` configures it, and the checks `ProxyHandler` makes before it
/// forwards a request (framing, origin form, the upstream request's headers), in an
/// `EmbeddedChannel`.
///
/// `ProxyHandler` itself is not in the pipeline: it needs a real `UpstreamClient`, whose
/// transfer threads deliver back through `EventLoop.execute`, which an `EmbeddedEventLoop` must
/// not be called from. So this target stops where the request would be forwarded and answers it
/// itself.
enum HTTPRequestPath {
    static func feed(_ bytes: [UInt8]) {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        do {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(ConnectionTimeoutHandler(headerTimeout: .seconds(10), idleTimeout: .seconds(60)))
            try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
            try pipeline.addHandler(ForwardingPoint())
            // Connecting an EmbeddedChannel makes it active, as an accepted connection is.
            try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 40000)).wait()
        } catch {
            return
        }
        // Two writes, as a client's bytes may arrive split anywhere.
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        for part in [bytes[..<cut], bytes[cut...]] where channel.isActive {
            _ = try? channel.writeInbound(ByteBuffer(bytes: part))
            while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
        }
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
    }
}

/// Stands in for `ProxyHandler` up to the point of forwarding.
final class ForwardingPoint: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var head: HTTPRequestHead?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            if head.method == .CONNECT {
                context.triggerUserOutboundEvent(ExchangeMilestone.refuse(.malformedRequest("CONNECT")), promise: nil)
                return
            }
            if let problem = RequestFraming.check(head) {
                self.answer(problem, version: head.version, context: context)
                return
            }
            guard head.uri.hasPrefix("/") else {
                self.answer(.malformedRequest("not origin form"), version: head.version, context: context)
                return
            }
            _ = HeaderPolicy.upstreamRequest(for: head, clientAddress: context.channel.remoteAddress?.ipAddress)
            context.triggerUserOutboundEvent(ExchangeMilestone.requestForwarded, promise: nil)
            self.head = head
        case .body:
            break
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            var headers = HTTPHeaders()
            headers.add(name: "content-length", value: "2")
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "{}")))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            context.triggerUserOutboundEvent(ExchangeMilestone.responseCompleted, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else {
            context.close(promise: nil)
            return
        }
        self.answer(RequestFraming.answer(for: error), version: .http1_1, context: context)
    }

    private func answer(_ error: SidecarError, version: HTTPVersion, context: ChannelHandlerContext) {
        context.write(self.wrapOutboundOut(.head(error.head(version: version, keepAlive: false))), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(error.serialized()))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        context.close(promise: nil)
    }
}
