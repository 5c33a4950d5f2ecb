import CSignalIO
import Glibc
import NIOPosix
import Synchronization

/// SIGTERM and SIGINT, delivered to whoever runs a sidecar, without a signalfd.
///
/// swift-service-lifecycle watches signals with libdispatch's signal sources, which on Linux
/// read a signalfd. A signalfd's wait queue belongs to the whole process, so that watcher was
/// woken by every upstream readiness signal (0.66 wake-ups and about 3 µs of CPU per proxied
/// request, measured). Here the signals' handlers write to a pipe that one thread reads; nothing
/// else is woken.
public final class ShutdownSignals: Sendable {
    /// The process's watcher; nil when its pipe or handlers could not be set up (then the caller
    /// falls back to the service group's own signal handling).
    public static let shared: ShutdownSignals? = ShutdownSignals()

    private struct Subscribers {
        var next = 0
        var actions: [Int: @Sendable (Int32) -> Void] = [:]
    }

    private let subscribers = Mutex(Subscribers())

    private init?() {
        let descriptor = mw_shutdown_signals_pipe()
        guard descriptor >= 0 else { return nil }
        let reader = NIOThreadPool(numberOfThreads: 1)
        reader.start()
        // The thread lives as long as the process: it sleeps in `read` until a signal comes.
        reader.submit { _ in self.readSignals(from: descriptor) }
    }

    private func readSignals(from descriptor: Int32) {
        var number: UInt8 = 0
        while true {
            let count = read(descriptor, &number, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return }
            let actions = self.subscribers.withLock { Array($0.actions.values) }
            for action in actions { action(Int32(number)) }
        }
    }

    /// Runs `body`; a SIGTERM or SIGINT meanwhile calls `onSignal` with its number. Outside every
    /// such call the signals take their default action (the process ends).
    public func whileSubscribed<T>(
        onSignal: @escaping @Sendable (Int32) -> Void, _ body: () async throws -> T
    ) async throws -> T {
        let id = self.subscribers.withLock { subscribers in
            defer { subscribers.next += 1 }
            subscribers.actions[subscribers.next] = onSignal
            mw_shutdown_signals_arm(1)
            return subscribers.next
        }
        defer {
            self.subscribers.withLock { subscribers in
                subscribers.actions[id] = nil
                if subscribers.actions.isEmpty { mw_shutdown_signals_arm(0) }
            }
        }
        return try await body()
    }
}
