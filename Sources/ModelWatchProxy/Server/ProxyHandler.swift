import Logging
import NIOCore
import NIOHTTP1

/// Forwards each request on one client connection to the backend and streams the answer back.
///
/// The handler never looks inside a body: request parts go to the exchange as they arrive,
/// response events are written as they come. What to do with each of them is decided by
/// `ProxyConnectionStateMachine`; the handler carries its actions out and owns what the machine
/// must not: the channel, the exchange with the backend and the observation being recorded.
/// It honours `ChannelShouldQuiesceEvent`: an idle connection closes at once, a busy one after
/// its answer.
final class ProxyHandler<Upstream: UpstreamExchangeStarter>: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let upstreamOnLoop: (any EventLoop) -> Upstream
    private let maxBodySize: Int
    private let observer: (any ExchangeObserver)?
    /// The connection's clock, told each milestone of the exchange (`ConnectionTimeoutHandler`).
    private let clock: (any ConnectionClock)?
    private let logger: Logger
    private var machine: ProxyConnectionStateMachine
    /// The exchange in flight, while the machine says one is.
    private var exchange: Upstream.Exchange?
    /// What the current exchange looked like, for the observer. Kept outside the machine so that
    /// appending to it mutates in place instead of copying its buffers' array.
    private var recorder: ExchangeRecorder?
    private var context: ChannelHandlerContext?
    /// The backend on this connection's event loop, looked up once per connection.
    private var upstream: Upstream?
    /// Hands each batch of an exchange's events to `handle`. Made once per connection rather
    /// than per request (an allocation and generic metadata lookups each time); it holds the
    /// handler, which holds it, from `handlerAdded` to `handlerRemoved`.
    private var deliver: (@Sendable (Upstream.Exchange, [UpstreamEvent]) -> Void)?

    /// - Parameters:
    ///   - upstream: where connections on a loop start their exchanges (`UpstreamClient.driver(on:)`).
    ///   - clock: the connection's clock, below the codec.
    init(
        upstream: @escaping (any EventLoop) -> Upstream, maxBodySize: Int, observer: (any ExchangeObserver)?,
        clock: (any ConnectionClock)?, logger: Logger
    ) {
        self.upstreamOnLoop = upstream
        self.maxBodySize = maxBodySize
        self.observer = observer
        self.clock = clock
        self.logger = logger
        self.machine = ProxyConnectionStateMachine(maxBodySize: maxBodySize, clientAddress: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.upstream = self.upstreamOnLoop(context.eventLoop)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        // Events come on this loop, from libcurl running here: no hop.
        self.deliver = { exchange, events in handler.value.handle(events, from: exchange) }
        self.machine = ProxyConnectionStateMachine(maxBodySize: self.maxBodySize, clientAddress: context.channel.remoteAddress?.ipAddress)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.deliver = nil
    }

    // MARK: Inputs

    func channelInactive(context: ChannelHandlerContext) {
        self.run(self.machine.clientClosed(), context: context)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.run(self.machine.requestPartReceived(self.unwrapInboundIn(data)), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            self.run(self.machine.quiesce(), context: context)
        case ConnectionClockEvent.requestBodyTimedOut:
            self.run(self.machine.requestBodyTimedOut(), context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError {
            self.run(self.machine.requestRefusedByParser(RequestFraming.answer(for: error)), context: context)
        } else if self.machine.connectionFailed() {
            self.logger.debug("client connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    /// Events of the exchange in flight, batched as the upstream engine hands them over.
    private func handle(_ events: [UpstreamEvent], from exchange: Upstream.Exchange) {
        guard let context = self.context, self.exchange === exchange else { return }
        var body = PendingBodyWrites(exchange: exchange)
        for event in events {
            switch event {
            case .head(let response):
                self.run(self.machine.responseHeadReceived(response), context: context)
                // A head that cannot be sent on ends the exchange (its answer is flushed); what
                // the batch holds after it is no longer anyone's (a pipelined request may have
                // started its own exchange).
                guard self.exchange === exchange else { return }
            case .body(let buffer):
                if case .writeResponseBody = self.machine.responseBodyReceived(buffer) {
                    self.recorder?.responseBody(buffer)
                    body.append(buffer, context: context)
                }
            case .end(let timings):
                // The transfer is over: flow control no longer matters, so no acknowledgement.
                body.flushWithoutAcknowledgement(context: context)
                self.recorder?.upstreamEnded(timings)
                self.run(self.machine.responseEnded(), context: context)
                return
            case .failure(let failure):
                body.flush(context: context)
                // The analysis pipeline logs outages once, with route and model; per request, debug only.
                self.logger.debug(
                    "upstream exchange failed",
                    metadata: ["upstream.error.kind": "\(failure.kind.rawValue)", "upstream.error": "\(failure.detail)"]
                )
                self.run(self.machine.upstreamFailed(failure), context: context)
                return
            case .requestBodyDrained:
                self.run(self.machine.uploadBufferDrained(), context: context)
            }
        }
        body.flush(context: context)
        context.flush()
    }

    // MARK: Actions

    private func run(_ action: ProxyConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .pauseReading:
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            self.clock?.reached(.readingPaused)
        case .resumeReading:
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            self.clock?.reached(.readingResumed)
        case .beginRequest(let request, let start):
            if let observer = self.observer {
                self.recorder = ExchangeRecorder(observer: observer, request: request)
            }
            switch start {
            case .forward(let interim, let bodyFollows):
                self.sendInterim(interim, context: context)
                self.startExchange(request, bodyFollows: bodyFollows, context: context)
            case .collectBody(let interim):
                self.sendInterim(interim, context: context)
            case .refuse(let answer):
                self.answer(answer, context: context)
            }
        case .recordRequestBody(let buffer):
            self.recorder?.requestBody(buffer)
        case .startTransfer(let request):
            self.startExchange(request, bodyFollows: false, context: context)
        case .forwardRequestBody(let buffer):
            self.recorder?.requestBody(buffer)
            if let exchange = self.exchange, exchange.sendBody(buffer) {
                self.run(self.machine.uploadBufferFilled(), context: context)
            }
        case .finishRequestBody(let stopBodyClock):
            self.exchange?.finishBody()
            if stopBodyClock {
                self.clock?.reached(.requestBodyEnded)
            }
        case .requestBodyDiscarded:
            self.clock?.reached(.responseCompleted)
        case .writeResponseHead(let head, let response):
            self.recorder?.responseHead(response, contentType: head.headers.first(name: "content-type"))
            context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        case .writeResponseBody(let buffer):
            // Outside a batch of events (there is none): written and acknowledged at once.
            self.recorder?.responseBody(buffer)
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .endResponse(let record, let then):
            context.write(self.wrapOutboundOut(.end(nil)), promise: nil)
            // Recorded first: completing may start a pipelined request with a recorder of its own.
            self.finishRecording(record)
            self.endExchange(cancel: false)
            self.complete(then, context: context)
        case .answer(let answer):
            self.answer(answer, context: context)
        case .refuseBelowCodec(let error):
            self.clock?.reached(.refuse(error))
        case .abandon(let cancelTransfer, let record, let close):
            self.endExchange(cancel: cancelTransfer)
            if let record {
                self.finishRecording(record)
            }
            if close {
                context.flush()
                context.close(promise: nil)
            }
        case .close:
            context.close(promise: nil)
        }
    }

    private func startExchange(_ request: UpstreamRequest, bodyFollows: Bool, context: ChannelHandlerContext) {
        // Set from `handlerAdded` to `handlerRemoved`, the only time requests arrive.
        guard let deliver = self.deliver else { return }
        self.clock?.reached(.requestForwarded(bodyFollows: bodyFollows))
        let upstream = self.upstream ?? self.upstreamOnLoop(context.eventLoop)
        let exchange = upstream.makeExchange(request, deliver: deliver)
        // Known before it starts: a backend that refuses at once answers from inside `start`.
        self.exchange = exchange
        upstream.start(exchange)
    }

    private func endExchange(cancel: Bool) {
        if cancel {
            self.exchange?.cancel()
        }
        self.exchange = nil
    }

    private func sendInterim(_ interim: HTTPResponseHead?, context: ChannelHandlerContext) {
        guard let interim else { return }
        context.writeAndFlush(self.wrapOutboundOut(.head(interim)), promise: nil)
    }

    /// Writes one of the sidecar's own answers and goes on as it says.
    private func answer(_ answer: ProxyConnectionStateMachine.Answer, context: ChannelHandlerContext) {
        self.endExchange(cancel: answer.cancelTransfer)
        let error = answer.error
        context.write(self.wrapOutboundOut(.head(error.head(version: answer.version, keepAlive: answer.keepAlive))), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(error.body))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        if let record = answer.record {
            self.finishRecording(record)
        }
        self.complete(answer.then, context: context)
    }

    private func complete(_ completion: ProxyConnectionStateMachine.Completion, context: ChannelHandlerContext) {
        context.flush()
        switch completion {
        case .keepAlive:
            self.clock?.reached(.responseCompleted)
        case .discardRequestBody:
            self.endExchange(cancel: true)
            self.clock?.reached(.responseCompletedBeforeRequest)
        case .close(lingering: true):
            // The clock handler below the codec closes the write side, drops what the client
            // still sends and closes the rest after a while (see `answerAndClose`).
            self.clock?.reached(.linger)
            return
        case .close(lingering: false):
            context.close(promise: nil)
            return
        }
        // Feeds the waiting pipelined parts through until the next request is in flight;
        // reading resumes once none wait.
        while let next = self.machine.nextPipelined() {
            self.run(next, context: context)
        }
    }

    /// Hands the current exchange's observation over; later calls for the same exchange do nothing.
    private func finishRecording(_ record: ProxyConnectionStateMachine.Record) {
        guard let recorder = self.recorder else { return }
        self.recorder = nil
        recorder.finish(status: record.status, outcome: record.outcome)
    }
}

/// Body buffers of one batch: all but the last are written at once; the last carries the promise
/// that acknowledges the batch's bytes to the exchange once the socket has taken them. Outside
/// `ProxyHandler`, so that it is not generic: a batch made no metadata lookup of its own.
private struct PendingBodyWrites {
    let exchange: any UpstreamExchange
    private var last: ByteBuffer?
    private var bytes = 0

    init(exchange: any UpstreamExchange) {
        self.exchange = exchange
    }

    mutating func append(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        if let previous = self.last {
            context.write(Self.part(previous), promise: nil)
        }
        self.last = buffer
        self.bytes += buffer.readableBytes
    }

    mutating func flushWithoutAcknowledgement(context: ChannelHandlerContext) {
        if let last = self.last {
            context.write(Self.part(last), promise: nil)
        }
        self.last = nil
        self.bytes = 0
    }

    mutating func flush(context: ChannelHandlerContext) {
        guard let last = self.last else { return }
        let count = self.bytes
        let exchange = NIOLoopBound(self.exchange, eventLoop: context.eventLoop)
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in exchange.value.acknowledge(bytes: count) }
        context.write(Self.part(last), promise: promise)
        self.last = nil
        self.bytes = 0
    }

    private static func part(_ buffer: ByteBuffer) -> NIOAny {
        NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer)))
    }
}
