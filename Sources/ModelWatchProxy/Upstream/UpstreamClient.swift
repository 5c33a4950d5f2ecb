import CCurl
import Foundation
public import Logging
import NIOConcurrencyHelpers
import NIOCore
public import ServiceLifecycle
import Synchronization

/// Sends requests to the backend over libcurl's multi interface.
///
/// Each transfer thread ("lane") owns one multi handle and drives all of its transfers: it
/// applies commands from event loops, lets libcurl move bytes, and hands each transfer's events
/// back in one batch per round. libcurl's connection cache, per lane, keeps upstream connections
/// alive. Nothing here ever blocks an event loop or Swift's cooperative pool.
public final class UpstreamClient: Service, Sendable {
    private let lanes: [UpstreamCommandQueue]
    private let nextLane = Atomic<Int>(0)
    private let stopped: NIOLockedValueBox<(running: Int, waiters: [CheckedContinuation<Void, Never>])>
    private let logger: Logger

    /// Starts the transfer threads.
    /// - Throws: `UpstreamClientError` when libcurl cannot be initialised.
    public init(configuration: UpstreamConfiguration, logger: Logger) throws(UpstreamClientError) {
        let laneCount = max(1, configuration.transferThreads ?? System.coreCount)
        let connectionsPerLane = max(1, (configuration.maxConnections + laneCount - 1) / laneCount)
        let stopped = NIOLockedValueBox<(running: Int, waiters: [CheckedContinuation<Void, Never>])>((laneCount, []))
        var lanes: [UpstreamCommandQueue] = []
        var drivers: [UpstreamTransferDriver] = []
        for _ in 0..<laneCount {
            guard let multi = CurlMulti(maxConnections: connectionsPerLane) else {
                throw UpstreamClientError(reason: "libcurl could not create a multi handle")
            }
            let commands = UpstreamCommandQueue(multi: multi)
            lanes.append(commands)
            drivers.append(
                UpstreamTransferDriver(
                    multi: multi,
                    commands: commands,
                    configuration: configuration,
                    handlePoolSize: connectionsPerLane,
                    logger: logger
                )
            )
        }
        self.lanes = lanes
        self.stopped = stopped
        self.logger = logger
        for (index, driver) in drivers.enumerated() {
            let name = "mw-upstream-\(index)"
            let thread = Thread {
                // Named for `top -H` and profilers: on Linux, Foundation's `Thread.name` does not reach
                // the kernel's thread name, and writing the thread's `comm` file does.
                try? name.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
                driver.run()
                let waiters = stopped.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
                    state.running -= 1
                    guard state.running == 0 else { return [] }
                    defer { state.waiters = [] }
                    return state.waiters
                }
                for waiter in waiters { waiter.resume() }
            }
            thread.start()
        }
    }

    /// Begins an exchange with the backend; events arrive through `deliver`, in order, on a
    /// transfer thread, batched so that a small response usually costs a single hop.
    /// - Parameters:
    ///   - timeout: overrides the configured total timeout for this exchange.
    public func startTransfer(
        _ request: UpstreamRequest,
        timeout: Duration? = nil,
        deliver: @escaping @Sendable (UpstreamTransfer, [UpstreamEvent]) -> Void
    ) -> UpstreamTransfer {
        let lane = self.lanes[self.nextLane.wrappingAdd(1, ordering: .relaxed).oldValue % self.lanes.count]
        let transfer = UpstreamTransfer(request: request, commands: lane, deliver: deliver)
        lane.submit(.start(transfer, timeoutMilliseconds: timeout.map { max(1, $0.roundedUpMilliseconds) }))
        return transfer
    }

    /// Sends a bodiless request and returns the response status, discarding the body.
    ///
    /// Cancelling the calling task cancels the transfer and returns at once, so that a probe of a
    /// backend that hangs does not hold shutdown for its whole timeout.
    public func status(of method: String, target: String, timeout: Duration) async -> Result<Int, UpstreamFailure> {
        let request = UpstreamRequest(method: method, target: target, headers: [], body: .none)
        let exchange = StatusExchange()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard exchange.wait(continuation) else { return }
                let transfer = self.startTransfer(request, timeout: timeout) { transfer, events in
                    for event in events {
                        switch event {
                        case .head(let head):
                            exchange.received(head.status)
                        case .body(let bytes):
                            transfer.acknowledge(bytes: bytes.readableBytes)
                        case .requestBodyDrained:
                            break
                        case .end:
                            exchange.finish(nil)
                        case .failure(let failure):
                            exchange.finish(failure)
                        }
                    }
                }
                exchange.started(transfer)
            }
        } onCancel: {
            exchange.cancel()
        }
    }

    /// Runs until graceful shutdown, then stops the transfer threads. Every other service that
    /// uses the client must have drained by then, so it is placed first in the service group.
    public func run() async throws {
        try? await gracefulShutdown()
        await self.shutdown()
    }

    /// Fails the transfers still running and stops the transfer threads.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = self.stopped.withLockedValue { state -> Bool in
                if state.running > 0 { state.waiters.append(continuation) }
                return state.running == 0
            }
            if finished {
                continuation.resume()
            } else {
                for lane in self.lanes { lane.stop() }
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

/// Work for a transfer thread, submitted from any thread.
enum UpstreamCommand {
    /// `nil` uses the configured timeout.
    case start(UpstreamTransfer, timeoutMilliseconds: Int?)
    case resume(UpstreamTransfer)
    case cancel(UpstreamTransfer)
}

/// The mailbox between event loops and one transfer thread.
final class UpstreamCommandQueue: @unchecked Sendable {
    // @unchecked Sendable: `pending` is behind a lock, and the only use of `multi` from other
    // threads is `curl_multi_wakeup`, which libcurl documents as thread-safe.
    private let pending = NIOLockedValueBox<(commands: [UpstreamCommand], stopping: Bool)>(([], false))
    private let multi: CurlMulti

    init(multi: CurlMulti) {
        self.multi = multi
    }

    func submit(_ command: UpstreamCommand) {
        let wasEmpty = self.pending.withLockedValue { state in
            defer { state.commands.append(command) }
            return state.commands.isEmpty
        }
        // The thread drains the whole mailbox each round: one wake-up per batch is enough.
        if wasEmpty {
            self.multi.wakeup()
        }
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

/// One `status(of:)` exchange: whichever comes first of its end and its task's cancellation
/// resumes the caller, exactly once.
private final class StatusExchange: Sendable {
    private struct State {
        var status: Int?
        var continuation: CheckedContinuation<Result<Int, UpstreamFailure>, Never>?
        var transfer: UpstreamTransfer?
        var cancelled = false
    }

    private static let cancelledFailure = UpstreamFailure(kind: .reset, detail: "the request was cancelled")
    private let state = NIOLockedValueBox(State())

    /// - Returns: false when the task was cancelled before it began; the caller is resumed already.
    func wait(_ continuation: CheckedContinuation<Result<Int, UpstreamFailure>, Never>) -> Bool {
        let cancelled = self.state.withLockedValue { state in
            if !state.cancelled { state.continuation = continuation }
            return state.cancelled
        }
        if cancelled { continuation.resume(returning: .failure(Self.cancelledFailure)) }
        return !cancelled
    }

    /// - Note: a cancellation that came while the transfer was being started cancels it here.
    func started(_ transfer: UpstreamTransfer) {
        let cancelled = self.state.withLockedValue { state in
            state.transfer = transfer
            return state.cancelled
        }
        if cancelled { transfer.cancel() }
    }

    func received(_ status: Int) {
        self.state.withLockedValue { $0.status = status }
    }

    func finish(_ failure: UpstreamFailure?) {
        let (waiter, status) = self.state.withLockedValue { state in
            defer { state.continuation = nil }
            return (state.continuation, state.status)
        }
        waiter?.resume(returning: failure.map { .failure($0) } ?? .success(status ?? 0))
    }

    func cancel() {
        let (waiter, transfer) = self.state.withLockedValue { state in
            defer {
                state.cancelled = true
                state.continuation = nil
            }
            return (state.continuation, state.transfer)
        }
        transfer?.cancel()
        waiter?.resume(returning: .failure(Self.cancelledFailure))
    }
}
