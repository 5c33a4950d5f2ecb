import Prometheus

/// What became of an alert handed to the notifier, the `result` label of
/// `modelwatch_notifications_total`.
public enum NotificationResult: String, Sendable, CaseIterable {
    /// Accepted by an Alertmanager (counted once per Alertmanager).
    case sent
    /// In a POST that failed (refused, timed out, not 2xx); retried after a back-off.
    case failed
    /// Dropped because an Alertmanager's queue was full.
    case dropped
}

/// The series that tell how alert notifications to Alertmanager go.
public struct NotificationMetrics: Sendable {
    let results: [NotificationResult: Counter]
    let queueLength: Gauge

    /// Counts `count` alerts with a result.
    public func record(_ result: NotificationResult, count: Int) {
        guard count > 0 else { return }
        self.results[result]?.increment(by: Int64(count))
    }

    /// Alerts waiting in every Alertmanager's queue together.
    public func setQueueLength(_ length: Int) {
        self.queueLength.set(Double(length))
    }
}

extension MetricCatalogue {
    /// The notifier's series, registered when Alertmanagers are configured; every result is
    /// present from the start so a rate over it never begins at a missing series.
    /// - Parameter capacity: the queue capacity of all Alertmanagers together.
    public func notificationMetrics(capacity: Int) -> NotificationMetrics {
        var results: [NotificationResult: Counter] = [:]
        for result in NotificationResult.allCases {
            results[result] = self.registry.makeCounter(
                descriptor: Self.describe("notifications_total", Help.notifications), labels: [("result", result.rawValue)])
        }
        let queueLength = self.registry.makeGauge(descriptor: Self.describe("notifications_queue_length", Help.notificationQueue))
        self.registry.makeGauge(descriptor: Self.describe("notifications_queue_capacity", Help.notificationCapacity)).set(Double(capacity))
        return NotificationMetrics(results: results, queueLength: queueLength)
    }
}

extension MetricCatalogue.Help {
    static let notifications =
        "Alerts handed to Alertmanager, by result (sent: accepted, per Alertmanager; failed: in a POST that failed and is retried; dropped: a full queue)."
    static let notificationQueue = "Alerts waiting to be sent, in every Alertmanager's queue together."
    static let notificationCapacity = "The most alerts the notification queues hold together."
}
