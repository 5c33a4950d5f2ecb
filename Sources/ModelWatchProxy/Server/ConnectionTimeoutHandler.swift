import NIOCore

/// Milestones of an exchange that the proxy handler reports to the connection's clock, so that the
/// timeout handler below the codec knows which clock should be running.
enum ExchangeMilestone: Sendable, Equatable {
    /// The request went to the backend. A small body is collected before that, so it stays on
    /// the head clock: a client that stalls in it gets a 408 too. With `bodyFollows`, the rest
    /// of the body streams and the body clock times its gaps; otherwise the upstream timeout governs.
    case requestForwarded(bodyFollows: Bool)
    /// The streamed body ended: from here the upstream timeout governs.
    case requestBodyEnded
    /// The response is complete and the connection can take the next request.
    case responseCompleted
    /// The response is complete but the client is still sending a body, which is read and
    /// dropped; `responseCompleted` follows when it ends.
    case responseCompletedBeforeRequest
    /// The proxy handler stopped reading from the client (a full upload buffer, a pipelined
    /// request waiting): a gap in the body now is the sidecar's doing, not the client's.
    case readingPaused
    case readingResumed
    /// The request is refused with this answer, written here below the codec (NIO's encoder
    /// drops the body of any answer to CONNECT), and the connection closes lingering.
    case refuse(SidecarError)
    /// The proxy handler's last answer is written: the connection closes lingering.
    case linger
}

/// Told the milestones of every exchange on one client connection: its clock.
///
/// A direct call, not an outbound user event: an event travelled through every outbound handler
/// of the pipeline and was cast back from `Any`, twice per request.
protocol ConnectionClock: AnyObject {
    func reached(_ milestone: ExchangeMilestone)
}

/// What the timeout handler tells the proxy handler above the codec.
enum ConnectionClockEvent: Sendable {
    /// The client stopped sending a streamed request body: the proxy handler answers 408.
    case requestBodyTimedOut
}

/// Closes connections that idle too long between requests, answers 408 to clients that start a
/// request but do not finish its head (or a small body, which is collected before forwarding) in
/// time (slowloris), and tells the proxy handler when a streamed body stalls. Being the one
/// handler below the codec, it also answers 414 to a request line longer than
/// `RequestFraming.requestLineLimit` (the parser only knows the whole head's size), writes the
/// answers the proxy handler refuses requests with, and closes lingering after every refusal.
///
/// It sits in front of the HTTP codec and sees raw bytes; which clock runs is decided by
/// `ConnectionTimeoutStateMachine` from those bytes and the proxy handler's `ExchangeMilestone`s,
/// which the proxy handler tells it directly (`ConnectionClock`). It is an inbound handler only,
/// so the answers written above it pass it by; its own answers go out below the codec.
/// Time is the channel's event loop's (`EventLoop.now`), so an `EmbeddedChannel`'s clock drives
/// every deadline in tests and in the fuzz harness.
final class ConnectionTimeoutHandler: ChannelInboundHandler, ConnectionClock {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = IOData

    private var machine: ConnectionTimeoutStateMachine
    private var timer: Scheduled<Void>?
    /// Where milestones are carried out; `nil` once the handler has left the pipeline.
    private var context: ChannelHandlerContext?
    private let statistics: ConnectionStatistics

    init(
        headerTimeout: TimeAmount, idleTimeout: TimeAmount, lingerTimeout: TimeAmount = .seconds(2),
        statistics: ConnectionStatistics = ConnectionStatistics()
    ) {
        self.machine = ConnectionTimeoutStateMachine(headerTimeout: headerTimeout, idleTimeout: idleTimeout, lingerTimeout: lingerTimeout)
        self.statistics = statistics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        self.machine.connectionActive(now: context.eventLoop.now)
        self.scheduleTimer(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.cancelTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.cancelTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.machine.bytesReceived(self.unwrapInboundIn(data).readableBytesView, now: context.eventLoop.now) {
        case .forward:
            self.scheduleTimer(context: context)
            context.fireChannelRead(data)
        case .drop:
            break
        case .refuse(let answer):
            self.answerAndLinger(answer, context: context)
        }
    }

    func reached(_ milestone: ExchangeMilestone) {
        guard let context = self.context else { return }
        self.run(self.machine.milestone(milestone, now: context.eventLoop.now), context: context)
    }

    private func timerFired(context: ChannelHandlerContext) {
        self.timer = nil
        self.run(self.machine.timerFired(now: context.eventLoop.now), context: context)
    }

    private func run(_ action: ConnectionTimeoutStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            self.scheduleTimer(context: context)
        case .answerAndLinger(let answer):
            self.answerAndLinger(answer, context: context)
        case .linger:
            self.scheduleTimer(context: context)
            context.lingeringClose()
        case .answerHeaderTimeout:
            self.statistics.timedOut(.head)
            let response = SidecarError.headerTimeout.serialized()
            context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(response))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .requestBodyTimedOut:
            self.statistics.timedOut(.body)
            context.fireUserInboundEventTriggered(ConnectionClockEvent.requestBodyTimedOut)
        case .close(let clock):
            if let clock {
                self.statistics.timedOut(clock)
            }
            context.close(promise: nil)
        }
    }

    private func answerAndLinger(_ answer: SidecarError, context: ChannelHandlerContext) {
        self.scheduleTimer(context: context)
        context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(answer.serialized())), promise: nil)
        context.lingeringClose()
    }

    private func scheduleTimer(context: ChannelHandlerContext) {
        guard let deadline = self.machine.timerToSchedule() else { return }
        self.timer?.cancel()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(deadline: deadline) {
            handler.value.timerFired(context: boundContext.value)
        }
    }

    private func cancelTimer() {
        self.timer?.cancel()
        self.timer = nil
    }
}
