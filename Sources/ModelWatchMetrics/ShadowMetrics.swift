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

/// Why a comparison ended in `error`: the `reason` label of `modelwatch_shadow_errors_total`, a
/// bounded set.
public enum ShadowErrorReason: String, Sendable, CaseIterable {
    // The request could not be fed to the reference.
    case inputMissing = "input_missing"
    case inputBinary = "input_binary"
    case inputType = "input_type"
    case inputShape = "input_shape"
    // The reference refused its input or failed; the rest of its codes only occur at load, but
    // each keeps a value of its own should one surface at run time.
    case invalidInput = "invalid_input"
    case executionFailed = "execution_failed"
    case referenceUnreadable = "reference_unreadable"
    case referenceMalformed = "reference_malformed"
    case referenceUnsupportedOperator = "reference_unsupportedOperator"
    case referenceUnsupportedOpset = "reference_unsupportedOpset"
    case referenceUnsupportedType = "reference_unsupportedType"
    case referenceExternalData = "reference_externalData"
    case referenceInvalidGraph = "reference_invalidGraph"
    // The shadow backend (a `url` shadow) failed or answered something unusable.
    case shadowConnect = "shadow_connect"
    case shadowTimeout = "shadow_timeout"
    case shadowReset = "shadow_reset"
    case shadowTLS = "shadow_tls"
    case shadowProtocol = "shadow_protocol"
    case shadowPoolTimeout = "shadow_pool_timeout"
    case shadowStatus = "shadow_status"
    case shadowNotDecoded = "shadow_not_decoded"
    // The outputs could not be paired.
    case backendOutputMissing = "backend_output_missing"
    case backendOutputUnreadable = "backend_output_unreadable"
    case shadowOutputMissing = "shadow_output_missing"
    /// The model has neither a reference nor a shadow backend (a configuration the loader refuses).
    case notConfigured = "not_configured"
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

    /// Counts a comparison that ended in `error`, by its reason.
    public func recordError(model: String, reason: ShadowErrorReason) {
        self.registry.makeCounter(
            descriptor: MetricCatalogue.describe("shadow_errors_total", Help.errors),
            labels: [("model", model), ("reason", reason.rawValue)]
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
