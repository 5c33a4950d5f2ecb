import Logging
import NIOCore

/// Reads the signalfd of one loop's readiness bridge and hands each batch of records to the
/// driver. It lives on the driver's own loop, so the records are acted on where they were read.
final class SignalReadinessHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let driver: UpstreamLoopDriver
    private let recordSize: Int

    init(driver: UpstreamLoopDriver, recordSize: Int) {
        self.driver = driver
        self.recordSize = recordSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        // A signalfd returns whole records only.
        buffer.withUnsafeReadableBytes { records in
            self.driver.signalsReceived(records, recordSize: self.recordSize)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.driver.logger.error("reading upstream readiness signals failed", metadata: ["error": "\(error)"])
    }
}
