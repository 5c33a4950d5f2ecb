import ModelWatchQuery

/// The alerts waiting to go to one Alertmanager, at most `capacity` of them.
///
/// An alert queued again while an older copy still waits replaces that copy in its place, so a
/// slow or unreachable Alertmanager only ever receives each alert's latest state and the queue
/// holds one entry per alert. Beyond `capacity` distinct alerts the oldest are dropped, as
/// Prometheus's notifier drops them, and the caller counts them.
public struct NotificationQueue: Sendable {
    /// The most alerts held.
    public let capacity: Int
    private var entries: [AlertNotification?] = []
    private var head = 0
    private var positions: [Labels: Int] = [:]

    /// An empty queue.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Alerts waiting.
    public var count: Int { self.positions.count }

    /// Queues alerts behind those already waiting.
    /// - Returns: how many alerts were dropped to stay within the capacity.
    public mutating func append(_ alerts: [AlertNotification]) -> Int {
        for alert in alerts {
            if let position = self.positions[alert.labels] {
                self.entries[position] = alert
            } else {
                self.positions[alert.labels] = self.entries.count
                self.entries.append(alert)
            }
        }
        return self.dropOverflow()
    }

    /// Puts a batch that could not be delivered back at the front, in its order, except alerts a
    /// newer copy of has been queued since.
    /// - Returns: how many alerts were dropped to stay within the capacity.
    public mutating func requeue(_ alerts: [AlertNotification]) -> Int {
        let kept = alerts.filter { self.positions[$0.labels] == nil }
        guard !kept.isEmpty else { return 0 }
        let waiting = self.entries[self.head...].compactMap { $0 }
        self.entries = []
        self.head = 0
        self.positions = [:]
        return self.append(kept + waiting)
    }

    /// Takes up to `limit` alerts from the front.
    public mutating func removeFirst(_ limit: Int) -> [AlertNotification] {
        var batch: [AlertNotification] = []
        while batch.count < limit, self.head < self.entries.count {
            if let alert = self.entries[self.head] {
                batch.append(alert)
                self.positions[alert.labels] = nil
            }
            self.entries[self.head] = nil
            self.head += 1
        }
        self.compact()
        return batch
    }

    private mutating func dropOverflow() -> Int {
        var dropped = 0
        while self.positions.count > self.capacity, self.head < self.entries.count {
            if let alert = self.entries[self.head] {
                self.positions[alert.labels] = nil
                dropped += 1
            }
            self.entries[self.head] = nil
            self.head += 1
        }
        self.compact()
        return dropped
    }

    /// Releases the consumed front once it is most of the storage.
    private mutating func compact() {
        guard self.head > 0, self.head * 2 >= self.entries.count else { return }
        self.entries.removeFirst(self.head)
        self.head = 0
        for (offset, entry) in self.entries.enumerated() {
            if let entry { self.positions[entry.labels] = offset }
        }
    }
}
