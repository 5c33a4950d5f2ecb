import CSignalIO
import Glibc
import Logging
import NIOCore
import NIOPosix

/// The one signalfd of an event loop's thread, shared by every upstream driver on that loop.
///
/// A queued signal is read once, by whichever signalfd reads first, so two drivers on one thread
/// (two upstream clients on one event loop group) must not each have their own: one would swallow
/// the other's readiness. Each read is offered to every driver, and each acts on its own sockets.
final class ThreadSignalBridge {
    private static let current = ThreadSpecificVariable<ThreadSignalBridge>()

    private let eventLoop: any EventLoop
    private var drivers: [UpstreamLoopDriver] = []
    private var channel: (any Channel)?
    private var opening = false

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The bridge of the calling loop thread, with `driver` attached to it; the readiness signal is
    /// blocked on this thread before this returns. Call on `eventLoop`.
    /// - Returns: nil when the thread cannot read signals (signalfd or the mask failed).
    static func attach(_ driver: UpstreamLoopDriver, on eventLoop: any EventLoop) -> ThreadSignalBridge? {
        eventLoop.assertInEventLoop()
        let bridge: ThreadSignalBridge
        if let existing = Self.current.currentValue {
            bridge = existing
        } else {
            bridge = ThreadSignalBridge(eventLoop: eventLoop)
            Self.current.currentValue = bridge
        }
        guard bridge.open(logger: driver.logger) else { return nil }
        bridge.drivers.append(driver)
        return bridge
    }

    /// Lets go of `driver`; the signalfd closes with the last one.
    func detach(_ driver: UpstreamLoopDriver) {
        self.drivers.removeAll { $0 === driver }
        if self.drivers.isEmpty {
            self.channel?.close(promise: nil)
            self.channel = nil
            self.opening = false
        }
    }

    private func open(logger: Logger) -> Bool {
        if self.opening { return true }
        // Blocked before any socket can name this thread: the signal is never delivered to a
        // handler, here or on another thread.
        guard mw_sigio_block_on_this_thread() == 0 else { return false }
        let signalFD = mw_sigio_signalfd()
        guard signalFD >= 0 else {
            logger.error("could not open a signalfd for upstream readiness", metadata: ["error.errno": "\(errno)"])
            return false
        }
        self.opening = true
        let recordSize = Int(mw_sigio_record_size())
        NIOPipeBootstrap(group: self.eventLoop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: recordSize * 64))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SignalReadinessHandler(bridge: self, recordSize: recordSize))
                }
            }
            .takingOwnershipOfDescriptor(input: signalFD)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    if self.opening {
                        self.channel = channel
                    } else {
                        // Every driver left while the channel was being registered.
                        channel.close(promise: nil)
                    }
                case .failure(let error):
                    close(signalFD)
                    self.opening = false
                    logger.error("could not watch the upstream readiness signals", metadata: ["error": "\(error)"])
                }
            }
        return true
    }

    /// Offers one read's records to every driver on this thread.
    func signalsReceived(_ records: UnsafeRawBufferPointer, recordSize: Int) {
        for driver in self.drivers {
            driver.signalsReceived(records, recordSize: recordSize)
        }
    }
}

// ThreadSpecificVariable's values must be Sendable; a bridge is only ever used on its own thread.
extension ThreadSignalBridge: @unchecked Sendable {}
