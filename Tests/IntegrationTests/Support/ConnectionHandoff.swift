import NIOConcurrencyHelpers
import NIOCore

/// An async channel on its way from a channel initializer to the task that will serve it.
///
/// NIO traps when an `NIOAsyncChannel` is dropped before `executeThenClose` has finished its
/// writer, and a connection can be dropped on the way: a server that closes while a child's
/// initializer completes discards that child, and a connect can fail after its initializer ran.
/// (A readiness probe connecting to a test backend as the backend shut down crashed whole test
/// runs.) Whatever the handoff still holds when it goes away is closed properly instead.
final class ConnectionHandoff<Inbound: Sendable, Outbound: Sendable>: Sendable {
    private let connection: NIOLockedValueBox<NIOAsyncChannel<Inbound, Outbound>?>

    init(_ connection: NIOAsyncChannel<Inbound, Outbound>) {
        self.connection = NIOLockedValueBox(connection)
    }

    /// The connection, for the one task that serves it; `nil` once taken.
    func take() -> NIOAsyncChannel<Inbound, Outbound>? {
        self.connection.withLockedValue { connection in
            defer { connection = nil }
            return connection
        }
    }

    deinit {
        guard let connection = self.connection.withLockedValue({ $0 }) else { return }
        Task { try? await connection.executeThenClose { _, _ in } }
    }
}
