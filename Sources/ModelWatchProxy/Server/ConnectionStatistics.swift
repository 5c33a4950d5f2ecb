import Synchronization

/// Counts of a server's client connections, kept in atomics so the event loops pay one relaxed
/// add per event; the metric catalogue reads them when `/metrics` is rendered.
public final class ConnectionStatistics: Sendable {
    /// Why a connection was turned away.
    public enum Refusal: String, Sendable, CaseIterable {
        /// `server.max_connections` were open.
        case limit
        /// `accept` failed for want of file descriptors (or kernel memory); the connection waits
        /// in the listen backlog until it can be accepted.
        case descriptors
    }

    /// Which clock closed a connection.
    public enum Timeout: String, Sendable, CaseIterable {
        /// The request head (or a small body collected before forwarding) did not arrive in time: 408.
        case head
        /// A keep-alive connection sat idle between requests.
        case idle
        /// A streamed request body stopped coming (408 `body-timeout`), or, after an early
        /// answer, the rest of it did.
        case body
    }

    /// What the counters hold now.
    public struct Counts: Sendable, Equatable {
        public var open = 0
        public var accepted = 0
        public var refused: [Refusal: Int] = [:]
        public var timedOut: [Timeout: Int] = [:]
    }

    private let open = Atomic<Int>(0)
    private let accepted = Atomic<Int>(0)
    private let refusedAtLimit = Atomic<Int>(0)
    private let refusedForDescriptors = Atomic<Int>(0)
    private let timedOutHead = Atomic<Int>(0)
    private let timedOutIdle = Atomic<Int>(0)
    private let timedOutBody = Atomic<Int>(0)

    public init() {}

    func connectionOpened() {
        self.accepted.wrappingAdd(1, ordering: .relaxed)
        self.open.wrappingAdd(1, ordering: .relaxed)
    }

    func connectionClosed() {
        self.open.wrappingSubtract(1, ordering: .relaxed)
    }

    func refused(_ reason: Refusal) {
        switch reason {
        case .limit: self.refusedAtLimit.wrappingAdd(1, ordering: .relaxed)
        case .descriptors: self.refusedForDescriptors.wrappingAdd(1, ordering: .relaxed)
        }
    }

    func timedOut(_ clock: Timeout) {
        switch clock {
        case .head: self.timedOutHead.wrappingAdd(1, ordering: .relaxed)
        case .idle: self.timedOutIdle.wrappingAdd(1, ordering: .relaxed)
        case .body: self.timedOutBody.wrappingAdd(1, ordering: .relaxed)
        }
    }

    public var counts: Counts {
        Counts(
            open: self.open.load(ordering: .relaxed),
            accepted: self.accepted.load(ordering: .relaxed),
            refused: [
                .limit: self.refusedAtLimit.load(ordering: .relaxed), .descriptors: self.refusedForDescriptors.load(ordering: .relaxed),
            ],
            timedOut: [
                .head: self.timedOutHead.load(ordering: .relaxed), .idle: self.timedOutIdle.load(ordering: .relaxed),
                .body: self.timedOutBody.load(ordering: .relaxed),
            ]
        )
    }
}
