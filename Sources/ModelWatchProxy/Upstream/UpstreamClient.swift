import CCurl
import Foundation
public import Logging
import NIOConcurrencyHelpers
import NIOCore
public import ServiceLifecycle

/// Sends requests to the backend over libcurl's multi interface.
///
/// One dedicated thread drives every transfer: it applies commands from event loops, lets libcurl
/// move bytes, and hands each transfer's events back in one batch per round. libcurl's connection
/// cache, shared by all transfers of the multi handle, keeps upstream connections alive.
/// Nothing here ever blocks an event loop or Swift's cooperative pool.
public final class UpstreamClient: Service, Sendable {
    private let commands: UpstreamCommandQueue
    private let stopped: NIOLockedValueBox<CheckedContinuation<Void, Never>?>
    private let hasStopped: NIOLockedValueBox<Bool>
    private let logger: Logger

    /// Starts the transfer thread.
    /// - Throws: `UpstreamClientError` when libcurl cannot be initialised.
    public init(configuration: UpstreamConfiguration, logger: Logger) throws(UpstreamClientError) {
        guard let multi = CurlMulti(maxConnections: configuration.maxConnections) else {
            throw UpstreamClientError(reason: "libcurl could not create a multi handle")
        }
        let commands = UpstreamCommandQueue(multi: multi)
        let stopped = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
        let hasStopped = NIOLockedValueBox(false)
        self.commands = commands
        self.stopped = stopped
        self.hasStopped = hasStopped
        self.logger = logger
        let driver = UpstreamTransferDriver(multi: multi, commands: commands, configuration: configuration, logger: logger)
        let thread = Thread {
            driver.run()
            let waiter = stopped.withLockedValue { waiter -> CheckedContinuation<Void, Never>? in
                defer { waiter = nil }
                return waiter
            }
            hasStopped.withLockedValue { $0 = true }
            waiter?.resume()
        }
        thread.name = "modelwatch-upstream"
        thread.start()
    }

    /// Begins an exchange with the backend; events arrive through `deliver`, in order, on the
    /// transfer thread, batched so that a small response usually costs a single hop.
    /// - Parameters:
    ///   - timeout: overrides the configured total timeout for this exchange.
    public func startTransfer(
        _ request: UpstreamRequest,
        timeout: Duration? = nil,
        deliver: @escaping @Sendable ([UpstreamEvent]) -> Void
    ) -> UpstreamTransfer {
        let transfer = UpstreamTransfer(request: request, commands: self.commands, deliver: deliver)
        self.commands.submit(.start(transfer, timeout: timeout))
        return transfer
    }

    /// Sends a bodiless request and returns the response status, discarding the body.
    public func status(of method: String, target: String, timeout: Duration) async -> Result<Int, UpstreamFailure> {
        let request = UpstreamRequest(method: method, target: target, headers: [], body: .none)
        let box = NIOLockedValueBox<(status: Int?, continuation: CheckedContinuation<Result<Int, UpstreamFailure>, Never>?)>(
            (nil, nil)
        )
        return await withCheckedContinuation { continuation in
            box.withLockedValue { $0.continuation = continuation }
            let transferBox = NIOLockedValueBox<UpstreamTransfer?>(nil)
            let transfer = self.startTransfer(request, timeout: timeout) { events in
                for event in events {
                    let outcome: Result<Int, UpstreamFailure>? = box.withLockedValue { state in
                        switch event {
                        case .head(let status, _):
                            state.status = status
                            return nil
                        case .body(let bytes):
                            transferBox.withLockedValue { $0 }?.acknowledge(bytes: bytes.readableBytes)
                            return nil
                        case .end:
                            return .success(state.status ?? 0)
                        case .failure(let failure):
                            return .failure(failure)
                        case .requestBodyDrained:
                            return nil
                        }
                    }
                    if let outcome,
                        let waiter = box.withLockedValue({ state in
                            defer { state.continuation = nil }
                            return state.continuation
                        })
                    {
                        waiter.resume(returning: outcome)
                    }
                }
            }
            transferBox.withLockedValue { $0 = transfer }
        }
    }

    /// Runs until graceful shutdown, then stops the transfer thread. Every other service that
    /// uses the client must have drained by then, so it is placed first in the service group.
    public func run() async throws {
        try? await gracefulShutdown()
        await self.shutdown()
    }

    /// Fails the transfers still running and stops the transfer thread.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyStopped = self.hasStopped.withLockedValue { stopped in
                if !stopped {
                    self.stopped.withLockedValue { $0 = continuation }
                }
                return stopped
            }
            if alreadyStopped {
                continuation.resume()
            } else {
                self.commands.stop()
            }
        }
        self.logger.debug("upstream client stopped")
    }
}

/// The upstream client could not start.
public struct UpstreamClientError: Error, Sendable, CustomStringConvertible {
    let reason: String
    public var description: String { self.reason }
}

/// Work for the transfer thread, submitted from any thread.
enum UpstreamCommand {
    case start(UpstreamTransfer, timeout: Duration?)
    case resume(UpstreamTransfer)
    case cancel(UpstreamTransfer)
}

/// The mailbox between event loops and the transfer thread.
final class UpstreamCommandQueue: @unchecked Sendable {
    // @unchecked Sendable: `pending` is behind a lock, and the only use of `multi` from other
    // threads is `curl_multi_wakeup`, which libcurl documents as thread-safe.
    private let pending = NIOLockedValueBox<(commands: [UpstreamCommand], stopping: Bool)>(([], false))
    private let multi: CurlMulti

    init(multi: CurlMulti) {
        self.multi = multi
    }

    func submit(_ command: UpstreamCommand) {
        self.pending.withLockedValue { $0.commands.append(command) }
        self.multi.wakeup()
    }

    func stop() {
        self.pending.withLockedValue { $0.stopping = true }
        self.multi.wakeup()
    }

    func take() -> (commands: [UpstreamCommand], stopping: Bool) {
        self.pending.withLockedValue { state in
            defer { state.commands.removeAll(keepingCapacity: true) }
            return state
        }
    }
}
