import CCurl
public import Logging
import NIOConcurrencyHelpers
public import NIOCore
public import ServiceLifecycle
import Synchronization

/// Sends requests to the backend over libcurl's multi interface, on the event loops.
///
/// Each event loop that starts a transfer gets its own multi handle, driven on that loop
/// (`UpstreamLoopDriver`): libcurl's connection cache, per loop, keeps upstream connections alive,
/// and a connection's exchange never leaves its loop. Nothing here blocks an event loop.
public final class UpstreamClient: Service, Sendable {
    private struct Drivers {
        var byLoop: [ObjectIdentifier: UpstreamLoopDriver] = [:]
        var stopped = false
    }

    let group: any EventLoopGroup
    private let configuration: UpstreamConfiguration
    private let connectionsPerLoop: Int
    private let drivers = NIOLockedValueBox(Drivers())
    private let logger: Logger

    /// Prepares a client whose transfers run on the loops of `group`.
    /// - Throws: `UpstreamClientError` when libcurl cannot be initialised.
    public init(configuration: UpstreamConfiguration, group: any EventLoopGroup, logger: Logger) throws(UpstreamClientError) {
        guard CurlGlobal.ensureInitialised() else {
            throw UpstreamClientError(.libcurlUnavailable, "libcurl could not be initialised (curl_global_init failed)")
        }
        var loopCount = 0
        for _ in group.makeIterator() { loopCount += 1 }
        self.group = group
        self.configuration = configuration
        self.connectionsPerLoop = max(1, (configuration.maxConnections + max(1, loopCount) - 1) / max(1, loopCount))
        self.logger = logger
    }

    /// The driver of `eventLoop`'s transfers. A connection looks it up once and keeps it, so the
    /// lock here is taken per connection, not per request.
    func driver(on eventLoop: any EventLoop) -> UpstreamLoopDriver {
        let key = ObjectIdentifier(eventLoop)
        let (driver, stopped) = self.drivers.withLockedValue { drivers -> (UpstreamLoopDriver, Bool) in
            if let driver = drivers.byLoop[key] { return (driver, false) }
            let driver = UpstreamLoopDriver(
                eventLoop: eventLoop, configuration: self.configuration, handlePoolSize: self.connectionsPerLoop, logger: self.logger)
            if !drivers.stopped { drivers.byLoop[key] = driver }
            return (driver, drivers.stopped)
        }
        if stopped {
            // A driver made after shutdown fails every transfer at once.
            driver.state = .stopped
        }
        return driver
    }

    /// Begins an exchange with the backend on `eventLoop`; events arrive through `deliver`, in
    /// order, on that loop, batched so that a small response usually comes as one call.
    /// - Parameters:
    ///   - timeout: overrides the configured total timeout for this exchange.
    public func startTransfer(
        on eventLoop: any EventLoop,
        _ request: UpstreamRequest,
        timeout: Duration? = nil,
        deliver: @escaping @Sendable (UpstreamTransfer, [UpstreamEvent]) -> Void
    ) -> UpstreamTransfer {
        let driver = self.driver(on: eventLoop)
        let transfer = UpstreamTransfer(request: request, driver: driver, deliver: deliver)
        if eventLoop.inEventLoop {
            driver.start(transfer, timeout: timeout)
        } else {
            eventLoop.execute { driver.start(transfer, timeout: timeout) }
        }
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
                let transfer = self.startTransfer(on: self.group.any(), request, timeout: timeout) { transfer, events in
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

    /// Runs until graceful shutdown, then stops libcurl on every loop. Every other service that
    /// uses the client must have drained by then, so it is placed first in the service group.
    public func run() async throws {
        try? await gracefulShutdown()
        await self.shutdown()
    }

    /// Fails the transfers still running and lets go of libcurl on every loop.
    public func shutdown() async {
        let drivers = self.drivers.withLockedValue { drivers in
            drivers.stopped = true
            defer { drivers.byLoop = [:] }
            return Array(drivers.byLoop.values)
        }
        for driver in drivers {
            try? await driver.eventLoop.submit { driver.stop() }.get()
        }
        self.logger.debug("upstream client stopped")
    }
}

/// The upstream client could not start.
public struct UpstreamClientError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; callers branch on it, people read ``UpstreamClientError/detail``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case libcurlUnavailable = "libcurl-unavailable"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// libcurl's global initialisation failed: no transfer can run in this process.
        public static let libcurlUnavailable = Code(.libcurlUnavailable)

        public var description: String { self.value.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, for the person reading the log.
    public let detail: String
    /// The source file that raised the error.
    public let file: String
    /// The source line that raised the error.
    public let line: Int

    init(_ code: Code, _ detail: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.detail = detail
        self.file = file
        self.line = line
    }

    public var description: String { self.detail }
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
            defer {
                state.continuation = nil
                state.transfer = nil
            }
            return (state.continuation, state.status)
        }
        waiter?.resume(returning: failure.map { .failure($0) } ?? .success(status ?? 0))
    }

    func cancel() {
        let (waiter, transfer) = self.state.withLockedValue { state in
            defer {
                state.cancelled = true
                state.continuation = nil
                state.transfer = nil
            }
            return (state.continuation, state.transfer)
        }
        transfer?.cancel()
        waiter?.resume(returning: .failure(Self.cancelledFailure))
    }
}
