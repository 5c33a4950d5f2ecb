public import ModelWatchQuery

/// Where an alert is in its life: pending while its `for` runs, firing after, inactive once
/// resolved (kept for a while so the resolution reaches Alertmanager).
public enum AlertState: String, Sendable, Comparable {
    case inactive, pending, firing

    private var rank: Int {
        switch self {
        case .inactive: 0
        case .pending: 1
        case .firing: 2
        }
    }

    public static func < (lhs: AlertState, rhs: AlertState) -> Bool { lhs.rank < rhs.rank }
}

/// One alert of an alerting rule: one series of the rule's result, with the rule's labels.
public struct Alert: Sendable {
    /// The series' labels without the metric name, the rule's labels and `alertname`.
    public var labels: Labels
    /// The expanded annotations, by name.
    public var annotations: [String: String]
    /// The value of the series at the last evaluation where it was present.
    public var value: Double
    /// Pending, firing or (resolved) inactive.
    public var state: AlertState
    /// Milliseconds: when the series first appeared (the start of `for`).
    public var activeAt: Int64
    /// Milliseconds: when it started firing.
    public var firedAt: Int64?
    /// Milliseconds: when it resolved.
    public var resolvedAt: Int64?
    /// Milliseconds: when the series vanished while `keep_firing_for` keeps the alert firing.
    public var keepFiringSince: Int64?
    /// Milliseconds: when it was last handed to the notifier.
    public var lastSentAt: Int64?
    /// Milliseconds: the `endsAt` of the last send of a firing alert, after which Alertmanager
    /// resolves it by itself unless it hears again.
    public var validUntil: Int64?

    /// A new alert, pending from `activeAt`.
    public init(labels: Labels, annotations: [String: String], value: Double, activeAt: Int64) {
        self.labels = labels
        self.annotations = annotations
        self.value = value
        self.state = .pending
        self.activeAt = activeAt
    }
}

extension Alert {
    /// The value as Prometheus's API writes it (`strconv.FormatFloat(v, 'e', -1, 64)`: `1e+00`, `2.5e-01`).
    public var valueText: String {
        self.value.isFinite ? GoFormat.exponent(self.value).lowercased() : GoFormat.exponent(self.value)
    }
}
