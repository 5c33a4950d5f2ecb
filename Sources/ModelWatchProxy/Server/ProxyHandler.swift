import Logging
import NIOCore
import NIOHTTP1

/// Forwards each request on one client connection to the backend and streams the answer back.
///
/// The handler never looks inside a body: request parts go to the `UpstreamTransfer` as they
/// arrive, response events are written as they come. It serves one request at a time per
/// connection: a request pipelined behind the one in flight waits, with reading paused, until that
/// one is answered. (NIO's `HTTPServerPipelineHandler` would do this too, but it pauses and resumes
/// reading around every request, two `epoll_ctl` calls each, though clients almost never pipeline.)
/// It also honours `ChannelShouldQuiesceEvent`: an idle connection closes at once, a busy one
/// after its answer.
final class ProxyHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Bodies of a declared length up to this size are collected before the transfer starts, as
    /// nginx buffers request bodies: libcurl then sends head and body in one write and never
    /// waits for body bytes. Larger and chunked bodies stream as they arrive.
    static let collectedBodyLimit = 64 << 10

    /// A request whose small body is still arriving; its transfer starts once the body is complete.
    private struct PendingRequest {
        let request: UpstreamRequest
        let version: HTTPVersion
        let keepAlive: Bool
        var body: ByteBuffer?
    }

    /// One request in flight on this connection.
    private struct Exchange {
        let transfer: UpstreamTransfer
        let version: HTTPVersion
        var keepAlive: Bool
        var requestBytes = 0
        var requestEnded = false
        /// The status sent to the client, once the response head went out.
        var responseStatus: Int?
        var responseStarted: Bool { self.responseStatus != nil }
    }

    /// What waits behind the exchange in flight: parts of pipelined requests, or the parser's
    /// refusal of bytes that came after them, answered only once the requests before are.
    private enum Queued {
        case part(HTTPServerRequestPart)
        case refusal(SidecarError)
    }

    private enum State {
        case idle
        case collecting(PendingRequest)
        case forwarding(Exchange)
        /// The response went out before the request finished: the rest of its body is dropped.
        case discardingRequestBody
        /// A fatal error was answered; nothing more is read or written.
        case closing
    }

    private let client: UpstreamClient
    private let maxBodySize: Int
    private let observer: (any ExchangeObserver)?
    private let logger: Logger
    private var state = State.idle
    /// Parts of requests pipelined behind the exchange in flight, replayed once it is answered.
    /// Reading is paused while any wait here, so they are at most what one read brought in.
    private var pipelined = CircularBuffer<Queued>()
    /// Graceful shutdown asked this connection to close after the exchange in flight.
    private var quiescing = false
    /// What the current exchange looked like, for the observer. Kept outside `state` so that
    /// appending to it mutates in place instead of copying its buffers' array.
    private var recorder: ExchangeRecorder?
    private var context: ChannelHandlerContext?
    /// libcurl on this connection's event loop, looked up once per connection.
    private var upstream: UpstreamLoopDriver?

    init(client: UpstreamClient, maxBodySize: Int, observer: (any ExchangeObserver)?, logger: Logger) {
        self.client = client
        self.maxBodySize = maxBodySize
        self.observer = observer
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.upstream = self.client.driver(on: context.eventLoop)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch self.state {
        case .forwarding(let exchange):
            exchange.transfer.cancel()
            self.finishRecording(status: exchange.responseStatus, outcome: .clientClosed)
        case .collecting:
            self.finishRecording(status: nil, outcome: .clientClosed)
        case .idle, .discardingRequestBody, .closing:
            break
        }
        self.state = .closing
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        if case .head = part, case .forwarding = self.state, self.pipelined.isEmpty {
            // Only a new request's head can arrive while an answer is awaited: HTTP/1.1 parts of
            // one request come in order, and the request in flight has ended.
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            self.pipelined.append(.part(part))
            return
        }
        if !self.pipelined.isEmpty {
            self.pipelined.append(.part(part))
            return
        }
        self.process(part, context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        self.quiescing = true
        if case .idle = self.state {
            self.state = .closing
            context.close(promise: nil)
        }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            self.receiveHead(head, context: context)
        case .body(let buffer):
            self.receiveBody(buffer, context: context)
        case .end:
            self.receiveEnd(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError {
            let answer = RequestFraming.answer(for: error)
            switch self.state {
            case .forwarding(let exchange) where exchange.requestEnded || !self.pipelined.isEmpty:
                // The refused bytes came after a whole request, which is answered first; nothing
                // more is read (the decoder would only report its error again).
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
                self.pipelined.append(.refusal(answer))
                return
            case .idle, .discardingRequestBody:
                self.respond(answer, version: .http1_1, keepAlive: false, context: context)
            case .collecting(let pending):
                self.respond(answer, version: pending.version, keepAlive: false, context: context)
                self.finishRecording(status: Int(answer.status.code), outcome: .rejected(answer.cause))
            case .forwarding(let exchange) where !exchange.responseStarted:
                exchange.transfer.cancel()
                self.respond(answer, version: exchange.version, keepAlive: false, context: context)
                self.finishRecording(status: Int(answer.status.code), outcome: .rejected(answer.cause))
            case .forwarding(let exchange):
                exchange.transfer.cancel()
                self.finishRecording(status: exchange.responseStatus, outcome: .rejected(answer.cause))
            case .closing:
                break
            }
            self.state = .closing
            context.close(promise: nil)
            return
        }
        if self.pipelined.contains(where: { if case .refusal = $0 { true } else { false } }) {
            return  // the decoder repeating its refusal; it is answered after the request before it
        }
        self.logger.debug("client connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Request

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = self.state else { return }
        if head.method == .CONNECT {
            self.state = .closing
            context.triggerUserOutboundEvent(ExchangeMilestone.refuse(.upgradeRefused), promise: nil)
            return
        }
        if let problem = RequestFraming.check(head) {
            self.fail(with: problem, version: head.version, context: context)
            return
        }
        guard head.uri.hasPrefix("/") else {
            self.fail(
                with: .malformedRequest("only origin-form request targets are proxied, got \"\(head.uri)\""), version: head.version,
                context: context)
            return
        }
        let request = HeaderPolicy.upstreamRequest(for: head, clientAddress: context.channel.remoteAddress?.ipAddress)
        if let observer = self.observer {
            self.recorder = ExchangeRecorder(observer: observer, request: request)
        }
        if case .length(let length) = request.body, length > self.maxBodySize {
            self.fail(with: .bodyTooLarge(limit: self.maxBodySize), version: head.version, context: context)
            return
        }
        if head.headers[canonicalForm: "expect"].contains(where: { $0.isHeaderName("100-continue") }) {
            context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        // After a request asking for an upgrade the parser reads nothing more on this connection,
        // so it closes after the answer (the upgrade itself is not forwarded).
        let keepAlive = head.isKeepAlive && !head.headers.contains(name: "upgrade")
        if case .length(let length) = request.body, length > 0, length <= Self.collectedBodyLimit {
            self.state = .collecting(PendingRequest(request: request, version: head.version, keepAlive: keepAlive))
            return
        }
        self.startTransfer(request, version: head.version, keepAlive: keepAlive, requestEnded: false, context: context)
    }

    private func startTransfer(
        _ request: UpstreamRequest, version: HTTPVersion, keepAlive: Bool, requestEnded: Bool, context: ChannelHandlerContext
    ) {
        context.triggerUserOutboundEvent(ExchangeMilestone.requestForwarded, promise: nil)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let upstream = self.upstream ?? self.client.driver(on: context.eventLoop)
        // Events come on this loop, from libcurl running here: no hop.
        let transfer = UpstreamTransfer(request: request, driver: upstream) { transfer, events in
            handler.value.handle(events, from: transfer)
        }
        // In flight before it starts: a backend that refuses at once answers from inside `start`.
        self.state = .forwarding(Exchange(transfer: transfer, version: version, keepAlive: keepAlive, requestEnded: requestEnded))
        upstream.start(transfer, timeout: nil)
    }

    private func receiveBody(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        if case .collecting(var pending) = self.state {
            self.recorder?.requestBody(buffer)
            // The state lets go of the body first, so that appending to it does not copy it.
            self.state = .idle
            if pending.body == nil {
                pending.body = buffer
            } else {
                pending.body!.writeImmutableBuffer(buffer)
            }
            self.state = .collecting(pending)
            return
        }
        guard case .forwarding(var exchange) = self.state else { return }
        exchange.requestBytes += buffer.readableBytes
        if exchange.requestBytes > self.maxBodySize {
            // Only a chunked body can get here: declared lengths are checked against the head.
            exchange.transfer.cancel()
            if exchange.responseStarted {
                self.finishRecording(status: exchange.responseStatus, outcome: .rejected(.bodyTooLarge))
                self.state = .closing
                context.close(promise: nil)
            } else {
                self.fail(with: .bodyTooLarge(limit: self.maxBodySize), version: exchange.version, context: context)
            }
            return
        }
        self.state = .forwarding(exchange)
        self.recorder?.requestBody(buffer)
        if exchange.transfer.sendBody(buffer) {
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
    }

    private func receiveEnd(context: ChannelHandlerContext) {
        switch self.state {
        case .collecting(let pending):
            var request = pending.request
            request.body = .whole(pending.body ?? ByteBuffer())
            self.startTransfer(request, version: pending.version, keepAlive: pending.keepAlive, requestEnded: true, context: context)
        case .forwarding(var exchange):
            exchange.requestEnded = true
            exchange.transfer.finishBody()
            self.state = .forwarding(exchange)
        case .discardingRequestBody:
            self.state = .idle
            if self.quiescing {
                self.state = .closing
                context.close(promise: nil)
                return
            }
            context.triggerUserOutboundEvent(ExchangeMilestone.responseCompleted, promise: nil)
        case .idle, .closing:
            break
        }
    }

    // MARK: Response

    private func handle(_ events: [UpstreamEvent], from transfer: UpstreamTransfer) {
        guard let context = self.context, case .forwarding(var exchange) = self.state,
            exchange.transfer === transfer
        else {
            return
        }
        var body = PendingBodyWrites(transfer: transfer)
        defer { body.flush(context: context, handler: self) }
        for event in events {
            switch event {
            case .head(let response):
                var headers = HeaderPolicy.clientResponseHeaders(response.headers)
                if self.quiescing {
                    exchange.keepAlive = false
                }
                if exchange.version.major == 1, exchange.version.minor == 0, !headers.contains(name: "content-length") {
                    exchange.keepAlive = false
                }
                if !exchange.keepAlive {
                    headers.add(name: "connection", value: "close")
                } else if exchange.version.minor == 0 {
                    headers.add(name: "connection", value: "keep-alive")
                }
                exchange.responseStatus = response.status
                self.recorder?.responseHead(response, contentType: headers.first(name: "content-type"))
                let status = HTTPResponseStatus(statusCode: response.status)
                context.write(
                    self.wrapOutboundOut(.head(HTTPResponseHead(version: exchange.version, status: status, headers: headers))), promise: nil
                )
            case .body(let buffer):
                self.recorder?.responseBody(buffer)
                body.append(buffer, context: context, handler: self)
            case .end(let timings):
                // The transfer is over: flow control no longer matters, so no acknowledgement.
                body.flushWithoutAcknowledgement(context: context, handler: self)
                context.write(self.wrapOutboundOut(.end(nil)), promise: nil)
                self.recorder?.upstreamEnded(timings)
                // Recorded first: completing may start a pipelined request with a recorder of its own.
                self.finishRecording(status: exchange.responseStatus, outcome: .completed)
                self.completeExchange(exchange, keepAlive: exchange.keepAlive, context: context)
                return
            case .failure(let failure):
                body.flush(context: context, handler: self)
                // The analysis pipeline logs outages once, with route and model; per request, debug only.
                self.logger.debug(
                    "upstream exchange failed",
                    metadata: ["upstream.error.kind": "\(failure.kind.rawValue)", "upstream.error": "\(failure.detail)"]
                )
                if exchange.responseStarted {
                    // The status is already on the wire; a truncated body is all we can signal.
                    self.state = .closing
                    context.flush()
                    context.close(promise: nil)
                    self.finishRecording(status: exchange.responseStatus, outcome: .upstreamFailed(failure))
                } else {
                    let keepAlive = exchange.keepAlive && exchange.requestEnded
                    let answer = SidecarError.upstream(failure)
                    self.respond(answer, version: exchange.version, keepAlive: keepAlive, context: context)
                    self.finishRecording(status: Int(answer.status.code), outcome: .upstreamFailed(failure))
                    self.completeExchange(exchange, keepAlive: keepAlive, context: context)
                }
                return
            case .requestBodyDrained:
                context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            }
        }
        body.flush(context: context, handler: self)
        self.state = .forwarding(exchange)
        context.flush()
    }

    /// Body buffers of one batch: all but the last are written at once; the last carries the
    /// promise that acknowledges the batch's bytes to the transfer once the socket has taken them.
    private struct PendingBodyWrites {
        let transfer: UpstreamTransfer
        private var last: ByteBuffer?
        private var bytes = 0

        init(transfer: UpstreamTransfer) {
            self.transfer = transfer
        }

        mutating func append(_ buffer: ByteBuffer, context: ChannelHandlerContext, handler: ProxyHandler) {
            if let previous = self.last {
                context.write(handler.wrapOutboundOut(.body(.byteBuffer(previous))), promise: nil)
            }
            self.last = buffer
            self.bytes += buffer.readableBytes
        }

        mutating func flushWithoutAcknowledgement(context: ChannelHandlerContext, handler: ProxyHandler) {
            if let last = self.last {
                context.write(handler.wrapOutboundOut(.body(.byteBuffer(last))), promise: nil)
            }
            self.last = nil
            self.bytes = 0
        }

        mutating func flush(context: ChannelHandlerContext, handler: ProxyHandler) {
            guard let last = self.last else { return }
            let count = self.bytes
            let transfer = self.transfer
            let promise = context.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenComplete { _ in transfer.acknowledge(bytes: count) }
            context.write(handler.wrapOutboundOut(.body(.byteBuffer(last))), promise: promise)
            self.last = nil
            self.bytes = 0
        }
    }

    private func completeExchange(_ exchange: Exchange, keepAlive: Bool, context: ChannelHandlerContext) {
        context.flush()
        if !keepAlive || self.quiescing {
            self.state = .closing
            context.close(promise: nil)
            return
        }
        if exchange.requestEnded {
            self.state = .idle
            context.triggerUserOutboundEvent(ExchangeMilestone.responseCompleted, promise: nil)
        } else {
            self.state = .discardingRequestBody
            exchange.transfer.cancel()
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            context.triggerUserOutboundEvent(ExchangeMilestone.responseCompletedBeforeRequest, promise: nil)
        }
        self.replayPipelined(context: context)
    }

    /// Feeds the waiting pipelined parts through until the next request is in flight; reading
    /// resumes once none wait.
    private func replayPipelined(context: ChannelHandlerContext) {
        guard !self.pipelined.isEmpty else { return }
        while let next = self.pipelined.first {
            switch next {
            case .part(let part):
                if case .head = part, case .forwarding = self.state { return }
                self.pipelined.removeFirst()
                self.process(part, context: context)
            case .refusal(let answer):
                guard case .idle = self.state else { return }
                self.pipelined.removeFirst()
                self.respond(answer, version: .http1_1, keepAlive: false, context: context)
                self.state = .closing
                context.close(promise: nil)
                return
            }
        }
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
    }

    // MARK: Sidecar answers

    /// Hands the current exchange's observation over; later calls for the same exchange do nothing.
    private func finishRecording(status: Int?, outcome: ExchangeObservation.Outcome) {
        guard let recorder = self.recorder else { return }
        self.recorder = nil
        recorder.finish(status: status, outcome: outcome)
    }

    /// Answers with the sidecar's own error and closes the connection.
    private func fail(with error: SidecarError, version: HTTPVersion, context: ChannelHandlerContext) {
        self.finishRecording(status: Int(error.status.code), outcome: .rejected(error.cause))
        self.respond(error, version: version, keepAlive: false, context: context)
        self.state = .closing
        context.close(promise: nil)
    }

    private func respond(_ error: SidecarError, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        context.write(self.wrapOutboundOut(.head(error.head(version: version, keepAlive: keepAlive))), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(error.body))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}
