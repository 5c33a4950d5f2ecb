import NIOCore

/// Milestones of an exchange that the HTTP layer reports down the pipeline, so that the timeout
/// handler below the codec knows which clock should be running.
enum ExchangeMilestone: Sendable {
    case requestHeadReceived
    case responseCompleted
}

/// Closes connections that idle too long between requests, and answers 408 to clients that start
/// a request but do not finish its head in time (slowloris).
///
/// It sits in front of the HTTP codec and sees raw bytes: the first byte of a request starts the
/// head clock; the proxy handler's `ExchangeMilestone`s stop it and restart the idle clock.
/// While an exchange is under way neither clock runs: the upstream timeout governs.
final class ConnectionTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum Phase {
        case awaitingRequest
        case readingHead
        case exchanging
    }

    private let headerTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var phase = Phase.awaitingRequest
    private var timer: Scheduled<Void>?

    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
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
        if self.phase == .awaitingRequest {
            self.phase = .readingHead
            self.arm(.head, context: context)
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let milestone = event as? ExchangeMilestone else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch milestone {
        case .requestHeadReceived:
            self.phase = .exchanging
            self.timer?.cancel()
            self.timer = nil
        case .responseCompleted:
            self.phase = .awaitingRequest
            self.arm(.idle, context: context)
        }
        promise?.succeed()
    }

    private enum Clock {
        case idle
        case head
    }

    private func arm(_ clock: Clock, context: ChannelHandlerContext) {
        self.timer?.cancel()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let timeout = clock == .idle ? self.idleTimeout : self.headerTimeout
        self.timer = context.eventLoop.scheduleTask(in: timeout) {
            switch clock {
            case .idle: handler.value.idleExpired(context: boundContext.value)
            case .head: handler.value.headExpired(context: boundContext.value)
            }
        }
    }

    private func idleExpired(context: ChannelHandlerContext) {
        guard self.phase == .awaitingRequest else { return }
        context.close(promise: nil)
    }

    private func headExpired(context: ChannelHandlerContext) {
        guard self.phase == .readingHead else { return }
        let response = SidecarError.headerTimeout.serialized()
        context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(response))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
