import Glibc
import Logging
import NIOCore

/// Sits on a listening socket and notices when `accept` fails for want of file descriptors
/// (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM): the failure is counted, logged once per
/// episode rather than once per attempt, and the end of the episode is logged with how many
/// attempts failed. NIO's `AcceptBackoffHandler` behind it pauses accepting for a second after
/// each failure, so a socket that stays readable is not retried in a tight loop; connections
/// wait in the listen backlog and are accepted as soon as descriptors free up.
final class AcceptWatcher: ChannelInboundHandler {
    typealias InboundIn = any Channel

    private let server: String
    private let statistics: ConnectionStatistics
    private let logger: Logger
    /// Failed accepts since the last one that succeeded.
    private var failures = 0

    init(server: String, statistics: ConnectionStatistics, logger: Logger) {
        self.server = server
        self.statistics = statistics
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if self.failures > 0 {
            self.logger.notice(
                "accepting connections again", metadata: ["server": "\(self.server)", "accept.failures": "\(self.failures)"])
            self.failures = 0
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode) {
            self.statistics.refused(.descriptors)
            if self.failures == 0 {
                let reason = strerror(error.errnoCode).map { String(cString: $0).lowercased() } ?? "errno \(error.errnoCode)"
                self.logger.error(
                    "cannot accept connections: \(reason); new connections wait until descriptors free up",
                    metadata: ["server": "\(self.server)"])
            }
            self.failures += 1
        }
        context.fireErrorCaught(error)
    }
}
