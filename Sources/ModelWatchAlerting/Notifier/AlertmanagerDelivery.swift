/// What goes to one Alertmanager next: a batch from its queue, or a wait while a failed batch
/// backs off. A plain value: the sender carries out its actions and reports how a send went.
///
/// Prometheus's notifier never retries and relies on sending firing alerts again every minute; a
/// failed batch is retried here, after 0.5 s doubling up to 30 s, so that a resolution or a new
/// alert is not lost to one refused connection. A batch waiting to be retried is back in the
/// queue, where newer copies of its alerts replace it, so a retry sends each alert's latest state.
public struct AlertmanagerDelivery: Sendable {
    /// What the sender does next.
    public enum Action: Sendable, Equatable {
        /// POST these alerts.
        case send([AlertNotification])
        /// Nothing may be sent before this time (milliseconds on the sender's clock): back-off.
        case wait(until: Int64)
        /// The queue is empty.
        case idle
    }

    /// The most alerts in one POST, as Prometheus sends them.
    public static let batchSize = 64
    /// The first retry's delay, milliseconds.
    public static let initialBackoff: Int64 = 500
    /// The longest delay between retries, milliseconds.
    public static let maximumBackoff: Int64 = 30_000

    /// The alerts waiting.
    public private(set) var queue: NotificationQueue
    /// Sends that failed in a row.
    public private(set) var consecutiveFailures = 0
    private var retryAt: Int64?
    private var inFlight: [AlertNotification]?

    /// Nothing sent yet.
    public init(capacity: Int) {
        self.queue = NotificationQueue(capacity: capacity)
    }

    /// Queues alerts for this Alertmanager.
    /// - Returns: how many alerts were dropped because the queue is full.
    public mutating func enqueue(_ alerts: [AlertNotification]) -> Int {
        self.queue.append(alerts)
    }

    /// The next thing to do at `now` (milliseconds); a `send` marks its batch in flight until
    /// `delivered()` or `failed(at:)`.
    public mutating func next(at now: Int64) -> Action {
        guard self.inFlight == nil else { return .idle }
        if let retryAt = self.retryAt, retryAt > now { return .wait(until: retryAt) }
        let batch = self.queue.removeFirst(Self.batchSize)
        guard !batch.isEmpty else { return .idle }
        self.inFlight = batch
        return .send(batch)
    }

    /// The batch in flight was accepted.
    public mutating func delivered() {
        self.inFlight = nil
        self.consecutiveFailures = 0
        self.retryAt = nil
    }

    /// The batch in flight failed: it goes back to the front of the queue and waits.
    /// - Returns: how many alerts were dropped because the queue is full, and when to retry.
    public mutating func failed(at now: Int64) -> (dropped: Int, retryAt: Int64) {
        let batch = self.inFlight ?? []
        self.inFlight = nil
        self.consecutiveFailures += 1
        let retryAt = now + Self.backoff(afterFailures: self.consecutiveFailures)
        self.retryAt = retryAt
        return (self.queue.requeue(batch), retryAt)
    }

    /// The delay after `failures` failed sends in a row: 0.5 s, 1 s, 2 s … at most 30 s.
    public static func backoff(afterFailures failures: Int) -> Int64 {
        guard failures > 0 else { return 0 }
        let doublings = min(failures - 1, 16)
        return min(Self.initialBackoff << Int64(doublings), Self.maximumBackoff)
    }
}
