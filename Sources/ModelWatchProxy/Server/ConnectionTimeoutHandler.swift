import NIOCore

/// Milestones of an exchange that the HTTP layer reports down the pipeline, so that the timeout
/// handler below the codec knows which clock should be running.
enum ExchangeMilestone: Sendable {
    /// The request went to the backend: from here its timeout governs. A small body is collected
    /// before that, so it stays on the head clock: a client that stalls in it gets a 408 too.
    case requestForwarded
    /// The response is complete and the connection can take the next request.
    case responseCompleted
    /// The response is complete but the client is still sending a body, which is read and
    /// dropped; `responseCompleted` follows when it ends.
    case responseCompletedBeforeRequest
    /// The request is refused with this answer, written here below the codec (NIO's encoder
    /// drops the body of any answer to CONNECT), and the connection closes.
    case refuse(SidecarError)
}

/// Closes connections that idle too long between requests, and answers 408 to clients that start
/// a request but do not finish its head (or a small body, which is collected before forwarding)
/// in time (slowloris). Being the one handler below the codec, it also answers 414 to a request
/// line longer than `RequestFraming.requestLineLimit` (the parser only knows the whole head's
/// size), and writes the answers the proxy handler refuses requests with.
///
/// It sits in front of the HTTP codec and sees raw bytes: the first byte of a request starts the
/// head clock; the proxy handler's `ExchangeMilestone`s stop it and restart the idle clock.
/// While an exchange is under way neither clock runs: the upstream timeout governs. After an early
/// response, the rest of the client's body must keep coming: a gap of `headerTimeout` closes the
/// connection without another answer, since the client has its response already.
final class ConnectionTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum Phase {
        case awaitingRequest
        case readingHead
        case exchanging
        case discardingBody
    }

    private let headerTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var phase = Phase.awaitingRequest
    /// When the running clock expires; moved forward on every milestone without touching the timer.
    private var deadline = NIODeadline.distantFuture
    /// At most one scheduled task per connection: rescheduling on every request would cost an
    /// allocation and two heap operations each time, so an early firing just re-arms itself.
    private var timer: Scheduled<Void>?
    private var timerFiresAt = NIODeadline.distantFuture
    /// Bytes of the current request line seen so far, while its end has not arrived; `nil` once
    /// it has (the usual case: the first read of a request holds its whole request line).
    private var requestLineBytes: Int? = nil
    /// An answer was written below the codec; what the client sends after it is dropped.
    private var refused = false

    private let statistics: ConnectionStatistics

    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount, statistics: ConnectionStatistics = ConnectionStatistics()) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.statistics = statistics
    }

    func channelActive(context: ChannelHandlerContext) {
        self.arm(.idle, context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.refused else { return }
        switch self.phase {
        case .awaitingRequest:
            self.phase = .readingHead
            self.requestLineBytes = 0
            self.arm(.head, context: context)
        case .discardingBody:
            self.arm(.head, context: context)
        case .readingHead, .exchanging:
            break
        }
        if let seen = self.requestLineBytes, self.phase == .readingHead {
            let view = self.unwrapInboundIn(data).readableBytesView
            let end = view.firstIndex(of: UInt8(ascii: "\n")).map { $0 - view.startIndex }
            if seen + (end ?? view.count) > RequestFraming.requestLineLimit {
                self.refuse(.uriTooLong, context: context)
                return
            }
            self.requestLineBytes = end == nil ? seen + view.count : nil
        }
        context.fireChannelRead(data)
    }

    /// Writes `answer` as the connection's last bytes and closes it (see `answerAndClose`);
    /// what the client still sends is dropped.
    private func refuse(_ answer: SidecarError, context: ChannelHandlerContext) {
        self.refused = true
        self.phase = .exchanging  // no clock closes it before the answer is out
        self.timer?.cancel()
        self.timer = nil
        context.answerAndClose(answer)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let milestone = event as? ExchangeMilestone else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch milestone {
        case .requestForwarded:
            self.phase = .exchanging
        case .responseCompleted:
            self.phase = .awaitingRequest
            self.arm(.idle, context: context)
        case .responseCompletedBeforeRequest:
            self.phase = .discardingBody
            self.arm(.head, context: context)
        case .refuse(let answer):
            self.refuse(answer, context: context)
        }
        promise?.succeed()
    }

    private enum Clock {
        case idle
        case head
    }

    private func arm(_ clock: Clock, context: ChannelHandlerContext) {
        self.deadline = .now() + (clock == .idle ? self.idleTimeout : self.headerTimeout)
        if self.timer == nil || self.deadline < self.timerFiresAt {
            self.timer?.cancel()
            self.schedule(context: context)
        }
    }

    private func schedule(context: ChannelHandlerContext) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.timerFiresAt = self.deadline
        self.timer = context.eventLoop.scheduleTask(deadline: self.deadline) {
            handler.value.timerFired(context: boundContext.value)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        self.timer = nil
        switch self.phase {
        case .exchanging:
            return  // the upstream timeout governs; the next milestone re-arms
        case .awaitingRequest, .readingHead, .discardingBody:
            if NIODeadline.now() < self.deadline {
                self.schedule(context: context)
            } else if self.phase != .readingHead {
                self.statistics.timedOut(self.phase == .discardingBody ? .body : .idle)
                context.close(promise: nil)
            } else {
                self.statistics.timedOut(.head)
                let response = SidecarError.headerTimeout.serialized()
                context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(response))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            }
        }
    }
}
