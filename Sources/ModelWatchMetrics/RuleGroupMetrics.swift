import Prometheus

/// The series that tell how one rule group's evaluations go.
public struct RuleGroupMetrics: Sendable {
    let seconds: ValueHistogram
    let failures: Counter
    let lastEvaluation: Gauge

    /// One evaluation of the group: how long it took, how many rules failed, and when it ran.
    /// - Parameter time: seconds since the epoch.
    public func recordEvaluation(seconds: Double, failures: Int, at time: Double) {
        self.seconds.record(seconds)
        if failures > 0 { self.failures.increment(by: Int64(failures)) }
        self.lastEvaluation.set(time)
    }

    /// An evaluation that could not run at all (the store could not be read or written).
    public func recordFailedEvaluation() {
        self.failures.increment()
    }
}

extension MetricCatalogue {
    /// The series of a rule group, registered when the sidecar starts evaluating it; the group
    /// names come from the rule files, a set fixed at start.
    public func ruleGroupMetrics(group: String) -> RuleGroupMetrics {
        let labels = [("rule_group", group)]
        let seconds = self.registry.makeValueHistogram(
            descriptor: Self.describe("rule_evaluation_seconds", Help.ruleEvaluation), labels: labels,
            buckets: MetricBuckets.storeWriteSeconds)
        let failures = self.registry.makeCounter(
            descriptor: Self.describe("rule_evaluation_failures_total", Help.ruleFailures), labels: labels)
        let last = self.registry.makeGauge(
            descriptor: Self.describe("rule_group_last_evaluation_timestamp_seconds", Help.ruleLastEvaluation), labels: labels)
        return RuleGroupMetrics(seconds: seconds, failures: failures, lastEvaluation: last)
    }
}

extension MetricCatalogue.Help {
    static let ruleEvaluation = "Seconds one evaluation of a rule group took, all its rules in order."
    static let ruleFailures =
        "Rule evaluations that failed, per group: a rule's query or limit, or a group that could not read or write the store."
    static let ruleLastEvaluation = "When the group was last evaluated, seconds since the epoch."
}
