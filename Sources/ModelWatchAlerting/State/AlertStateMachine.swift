public import ModelWatchQuery

/// The alerts of one alerting rule and how they move between states at each evaluation:
/// inactive → pending → firing → resolved (inactive), with `for` and `keep_firing_for`, as
/// Prometheus 2.42's `AlertingRule.Eval` moves them.
///
/// A plain value: `evaluate` takes the rule's result at one time and returns what changed; the
/// caller writes the series and notifies.
public struct AlertStateMachine: Sendable {
    /// What happened to an alert at an evaluation.
    public enum Transition: Sendable, Equatable {
        /// A new series: the alert is pending (or firing at once without `for`).
        case becamePending(Labels)
        /// `for` has passed.
        case fired(Labels)
        /// The series is gone and `keep_firing_for` (if any) has passed.
        case resolved(Labels)
        /// A pending alert whose series vanished before `for` passed: forgotten.
        case cancelled(Labels)
    }

    /// How long Prometheus keeps a resolved alert to send its resolution (15 minutes).
    public static let resolvedRetention: Int64 = 15 * 60_000

    /// `for`, milliseconds.
    public let holdDuration: Int64
    /// `keep_firing_for`, milliseconds.
    public let keepFiringFor: Int64
    /// The group's `limit`; 0 for none.
    public let limit: Int
    /// Alerts by their labels, including resolved ones still retained.
    public private(set) var active: [Labels: Alert] = [:]

    /// A rule with no alerts yet.
    public init(holdDuration: Int64, keepFiringFor: Int64 = 0, limit: Int = 0) {
        self.holdDuration = holdDuration
        self.keepFiringFor = keepFiringFor
        self.limit = limit
    }

    /// One series of the rule's result, with its labels already final (rule labels, `alertname`).
    public struct Result: Sendable {
        /// The alert's labels.
        public var labels: Labels
        /// The series' value.
        public var value: Double
        /// The expanded annotations.
        public var annotations: [String: String]

        /// A result of the rule's expression.
        public init(labels: Labels, value: Double, annotations: [String: String]) {
            self.labels = labels
            self.value = value
            self.annotations = annotations
        }
    }

    /// Why an evaluation failed after the query succeeded.
    public struct LimitExceeded: Error, Sendable, CustomStringConvertible {
        /// The limit.
        public let limit: Int
        /// How many alerts there were.
        public let count: Int
        public var description: String { "exceeded limit of \(self.limit) with \(self.count) alerts" }
    }

    /// Applies the rule's result at `time`.
    /// - Returns: the transitions, in label order.
    /// - Throws: `LimitExceeded` when more alerts than the limit are pending or firing; all alerts are dropped, as Prometheus does.
    public mutating func evaluate(_ results: [Result], at time: Int64) throws(LimitExceeded) -> [Transition] {
        var transitions: [Transition] = []
        var present: Set<Labels> = []
        for result in results {
            present.insert(result.labels)
            if var alert = self.active[result.labels], alert.state != .inactive {
                alert.value = result.value
                alert.annotations = result.annotations
                self.active[result.labels] = alert
                continue
            }
            self.active[result.labels] = Alert(labels: result.labels, annotations: result.annotations, value: result.value, activeAt: time)
            transitions.append(.becamePending(result.labels))
        }
        var activeCount = 0
        for labels in self.active.keys.sorted() {
            guard var alert = self.active[labels] else { continue }
            if !present.contains(labels) {
                var keepFiring = false
                if alert.state == .firing, self.keepFiringFor > 0 {
                    if alert.keepFiringSince == nil { alert.keepFiringSince = time }
                    if time - (alert.keepFiringSince ?? time) < self.keepFiringFor { keepFiring = true }
                }
                if alert.state == .pending || (alert.resolvedAt.map { time - $0 > Self.resolvedRetention } ?? false) {
                    self.active[labels] = nil
                    if alert.state == .pending { transitions.append(.cancelled(labels)) }
                    continue
                }
                if alert.state != .inactive, !keepFiring {
                    alert.state = .inactive
                    alert.resolvedAt = time
                    transitions.append(.resolved(labels))
                }
                if !keepFiring {
                    self.active[labels] = alert
                    continue
                }
            } else {
                alert.keepFiringSince = nil
            }
            activeCount += 1
            if alert.state == .pending, time - alert.activeAt >= self.holdDuration {
                alert.state = .firing
                alert.firedAt = time
                transitions.append(.fired(labels))
            }
            self.active[labels] = alert
        }
        if self.limit > 0, activeCount > self.limit {
            self.active = [:]
            throw LimitExceeded(limit: self.limit, count: activeCount)
        }
        return transitions
    }

    /// Marks and returns the alerts due to go to Alertmanager at `time`, as Prometheus 2.42's
    /// `AlertingRule.sendAlerts` picks them: firing and resolved alerts not sent for longer than
    /// `resendDelay`, and any alert resolved since it was last sent. Each firing one is valid for
    /// four times `max(resendDelay, interval)`, so two lost evaluations or sends never resolve it
    /// by accident in Alertmanager.
    /// - Parameters:
    ///   - time: the evaluation time, milliseconds.
    ///   - resendDelay: how often an unchanged alert is sent again, milliseconds (Prometheus: 1 minute).
    ///   - interval: the group's evaluation interval, milliseconds.
    /// - Returns: the alerts to send, in label order, with `validUntil` set.
    public mutating func alertsToSend(at time: Int64, resendDelay: Int64, interval: Int64) -> [Alert] {
        var due: [Alert] = []
        for labels in self.active.keys.sorted() {
            guard var alert = self.active[labels], alert.state != .pending else { continue }
            let resolvedSinceSent = alert.resolvedAt.map { resolved in alert.lastSentAt.map { resolved > $0 } ?? true } ?? false
            let resendDue = alert.lastSentAt.map { $0 + resendDelay < time } ?? true
            guard resolvedSinceSent || resendDue else { continue }
            alert.lastSentAt = time
            alert.validUntil = time + 4 * max(resendDelay, interval)
            self.active[labels] = alert
            due.append(alert)
        }
        return due
    }

    /// Alerts pending or firing, in label order.
    public var current: [Alert] {
        self.active.values.filter { $0.state != .inactive }.sorted { $0.labels < $1.labels }
    }

    /// Brings back the `for` timer of an alert present now from its `ALERTS_FOR_STATE` series, as
    /// Prometheus's `RestoreForState` does after a restart.
    /// - Parameters:
    ///   - labels: the alert.
    ///   - savedActiveAt: the series' last value, as milliseconds (`activeAt` before the restart).
    ///   - savedAt: the time of that sample, milliseconds (when the old process last evaluated).
    ///   - time: now.
    ///   - gracePeriod: the least time left to fire after a restart (Prometheus: 10 minutes).
    public mutating func restore(_ labels: Labels, savedActiveAt: Int64, savedAt: Int64, at time: Int64, gracePeriod: Int64 = 600_000) {
        guard var alert = self.active[labels], alert.state != .inactive else { return }
        let spentPending = savedAt - savedActiveAt
        let remaining = self.holdDuration - spentPending
        var restored = savedActiveAt
        if remaining <= 0 {
            // Already firing before the restart: keep the original start.
        } else if remaining < gracePeriod {
            restored = time + gracePeriod - self.holdDuration
        } else {
            restored = savedActiveAt + (time - savedAt)
        }
        alert.activeAt = restored
        self.active[labels] = alert
    }
}
