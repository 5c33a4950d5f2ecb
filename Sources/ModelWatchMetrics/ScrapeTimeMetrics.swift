// Series set from state kept outside the catalogue (the analysis queue, the data port's
// connections), read when the exposition is rendered rather than per request.

import Prometheus
import Synchronization

extension MetricCatalogue {
    /// Shows the analysis queue's length and held body bytes beside its limits, so a dashboard can
    /// tell a pipeline falling behind before observations are dropped. Read when the exposition
    /// is rendered, never per request.
    public func watchAnalysisQueue(capacity: Int, memoryLimit: Int, read: @escaping @Sendable () -> (waiting: Int, bytesHeld: Int)) {
        self.registry.makeGauge(descriptor: Self.describe("analysis_queue_capacity", Help.queueCapacity)).set(Double(capacity))
        self.registry.makeGauge(descriptor: Self.describe("analysis_memory_limit_bytes", Help.memoryLimit)).set(Double(memoryLimit))
        let waiting = self.registry.makeGauge(descriptor: Self.describe("analysis_queue_length", Help.queueLength))
        let held = self.registry.makeGauge(descriptor: Self.describe("analysis_held_bytes", Help.heldBytes))
        self.readAtExposition {
            let now = read()
            waiting.set(Double(now.waiting))
            held.set(Double(now.bytesHeld))
        }
    }
}

/// The data port's connections as the proxy counts them.
public struct ConnectionReading: Sendable {
    public var open: Int
    public var accepted: Int
    /// Refusals by reason (`limit`, `descriptors`).
    public var refused: [String: Int]
    /// Connections closed by a clock, by which (`head`, `idle`, `body`).
    public var timedOut: [String: Int]

    public init(open: Int, accepted: Int, refused: [String: Int], timedOut: [String: Int]) {
        self.open = open
        self.accepted = accepted
        self.refused = refused
        self.timedOut = timedOut
    }
}

extension MetricCatalogue {
    /// Shows the data port's connections: open now, accepted, refused and timed out, read from
    /// the proxy's own atomic counts when the exposition is rendered.
    public func watchConnections(read: @escaping @Sendable () -> ConnectionReading) {
        let first = read()
        let open = self.registry.makeGauge(descriptor: Self.describe("connections_open", Help.connectionsOpen))
        let accepted = CounterMirror(self.registry.makeCounter(descriptor: Self.describe("connections_accepted_total", Help.accepted)))
        let refused = first.refused.keys.map { reason in
            (
                reason,
                CounterMirror(
                    self.registry.makeCounter(
                        descriptor: Self.describe("connections_refused_total", Help.refused), labels: [("reason", reason)]))
            )
        }
        let timedOut = first.timedOut.keys.map { clock in
            (
                clock,
                CounterMirror(
                    self.registry.makeCounter(
                        descriptor: Self.describe("connections_timed_out_total", Help.timedOut), labels: [("phase", clock)]))
            )
        }
        self.readAtExposition {
            let now = read()
            open.set(Double(now.open))
            accepted.advance(to: Double(now.accepted))
            for (reason, counter) in refused { counter.advance(to: Double(now.refused[reason] ?? 0)) }
            for (clock, counter) in timedOut { counter.advance(to: Double(now.timedOut[clock] ?? 0)) }
        }
    }
}

/// A Prometheus counter that follows a total counted elsewhere: each reading adds what the
/// total grew by since the last one.
final class CounterMirror: Sendable {
    private let counter: Counter
    private let reported = Mutex<Double>(0)

    init(_ counter: Counter) {
        self.counter = counter
    }

    func advance(to total: Double) {
        let delta = self.reported.withLock { reported in
            defer { reported = max(reported, total) }
            return total - reported
        }
        if delta > 0 { self.counter.increment(by: delta) }
    }
}
