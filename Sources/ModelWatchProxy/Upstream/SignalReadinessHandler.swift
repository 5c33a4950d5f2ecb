import Logging
import NIOCore

/// Reads the signalfd of one loop thread's readiness bridge and hands each batch of records to
/// it. It lives on that loop, so the records are acted on where they were read.
final class SignalReadinessHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let bridge: ThreadSignalBridge
    private let recordSize: Int
    private let logger = Logger(label: "modelwatch.upstream")

    init(bridge: ThreadSignalBridge, recordSize: Int) {
        self.bridge = bridge
        self.recordSize = recordSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        // A signalfd returns whole records only.
        buffer.withUnsafeReadableBytes { records in
            self.bridge.signalsReceived(records, recordSize: self.recordSize)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.error("reading upstream readiness signals failed", metadata: ["error": "\(error)"])
    }
}
