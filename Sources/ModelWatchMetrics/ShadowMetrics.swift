import Prometheus

/// Why a sampled exchange was not compared with the shadow: the `reason` label of
/// `modelwatch_shadow_skipped_total`, a bounded set.
public enum ShadowSkipReason: String, Sendable, CaseIterable {
    /// The model's inference threads were busy and its queue full.
    case queueFull = "queue_full"
    /// Over the model's `max_per_second`.
    case rateLimited = "rate_limited"
    /// The payloads were not understood, so there was nothing to compare.
    case notDecoded = "not_decoded"
}

/// The shadow-comparison series: comparisons by result, the size of disagreements per output,
/// what the reference costs, and what was not compared and why.
public struct ShadowMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    /// Present from the start for each shadowed model, so a rate over them never begins at a
    /// missing series and the mismatch-ratio alert has a denominator as soon as traffic flows.
    public func register(model: String) {
        for reason in [ShadowSkipReason.queueFull, .rateLimited] { self.skipped(model: model, reason: reason) }
    }

    /// Counts one comparison; `result` is `match`, `mismatch` or `error`.
    public func recordComparison(model: String, version: String, result: String) {
        self.registry.makeCounter(
            descriptor: MetricCatalogue.describe("shadow_comparisons_total", Help.comparisons),
            labels: [("model", model), ("version", version), ("result", result)]
        ).increment()
    }

    /// Records the largest absolute and relative difference of each row of a numeric output.
    public func recordErrors(model: String, output: String, absolute: [Double], relative: [Double]) {
        let absoluteHistogram = self.registry.makeValueHistogram(
            descriptor: MetricCatalogue.describe("shadow_abs_error", Help.absoluteError), labels: [("model", model), ("output", output)],
            buckets: MetricBuckets.shadowError)
        let relativeHistogram = self.registry.makeValueHistogram(
            descriptor: MetricCatalogue.describe("shadow_rel_error", Help.relativeError), labels: [("model", model), ("output", output)],
            buckets: MetricBuckets.shadowError)
        for value in absolute { absoluteHistogram.record(value) }
        for value in relative { relativeHistogram.record(value) }
    }

    /// Records how long one reference inference took.
    public func recordInference(model: String, seconds: Double) {
        self.registry.makeValueHistogram(
            descriptor: MetricCatalogue.describe("reference_inference_seconds", Help.inference), labels: [("model", model)],
            buckets: MetricBuckets.inferenceSeconds
        ).record(seconds)
    }

    /// Counts a sampled exchange that was not compared.
    public func recordSkipped(model: String, reason: ShadowSkipReason) {
        self.skipped(model: model, reason: reason).increment()
    }

    /// Counts a comparison that ended in `error`, by a bounded reason (`input_missing`,
    /// `execution_failed`, `shadow_timeout`, …).
    public func recordError(model: String, reason: String) {
        self.registry.makeCounter(
            descriptor: MetricCatalogue.describe("shadow_errors_total", Help.errors), labels: [("model", model), ("reason", reason)]
        ).increment()
    }

    /// Counts mismatches not kept in the store because the model's hourly allowance was spent.
    public func recordMismatchNotKept(model: String) {
        self.registry.makeCounter(
            descriptor: MetricCatalogue.describe("shadow_mismatches_not_kept_total", Help.notKept), labels: [("model", model)]
        ).increment()
    }

    @discardableResult
    private func skipped(model: String, reason: ShadowSkipReason) -> Counter {
        self.registry.makeCounter(
            descriptor: MetricCatalogue.describe("shadow_skipped_total", Help.skipped),
            labels: [("model", model), ("reason", reason.rawValue)])
    }

    enum Help {
        static let comparisons =
            "Answers compared with the shadow (reference model or second backend), by result: match, mismatch, or error (no comparison possible)."
        static let absoluteError = "Per compared row of a numeric output, the largest absolute difference between backend and shadow."
        static let relativeError =
            "Per compared row of a numeric output, the largest difference relative to the shadow's value (+Inf where that is 0)."
        static let inference = "Seconds the built-in reference model took for one sampled request."
        static let skipped =
            "Sampled exchanges not compared, by reason (queue_full: inference threads busy; rate_limited: over max_per_second; not_decoded: payload not understood)."
        static let errors = "Comparisons that ended in error, by reason (reference failure, shadow backend failure, outputs missing)."
        static let notKept = "Mismatches counted but not stored because the model's hourly allowance (max_mismatches_per_hour) was spent."
    }
}

extension MetricCatalogue {
    /// The shadow series, registered on first use.
    public func shadowMetrics() -> ShadowMetrics {
        ShadowMetrics(registry: self.registry)
    }
}
