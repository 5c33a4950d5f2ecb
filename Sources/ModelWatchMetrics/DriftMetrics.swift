import Prometheus

/// The drift series: statistics per feature and output, window sizes, missing ratios, the share
/// of drifted features, and schema violations.
///
/// Statistics are gauges set once a minute; a window with too little data sets them to NaN, so
/// an alert on them stays quiet and `feature_window_samples` tells why.
public struct DriftMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    /// Sets one statistic of a feature (`role` "feature") or an output (`role` "output").
    public func setStatistic(model: String, role: String, name: String, statistic: String, value: Double) {
        let isOutput = role == "output"
        self.registry.makeGauge(
            descriptor: MetricCatalogue.describe(
                isOutput ? "output_drift" : "feature_drift", isOutput ? MetricCatalogue.Help.outputDrift : MetricCatalogue.Help.featureDrift
            ),
            labels: [("model", model), (isOutput ? "output" : "feature", name), ("statistic", statistic)]
        ).set(value)
    }

    /// Present values in the window and the share of missing ones, for a feature or an output.
    public func setWindow(model: String, name: String, samples: Int, missingRatio: Double) {
        self.registry.makeGauge(
            descriptor: MetricCatalogue.describe("feature_window_samples", MetricCatalogue.Help.windowSamples),
            labels: [("model", model), ("feature", name)]
        ).set(Double(samples))
        self.registry.makeGauge(
            descriptor: MetricCatalogue.describe("feature_missing_ratio", MetricCatalogue.Help.missingRatio),
            labels: [("model", model), ("feature", name)]
        ).set(missingRatio)
    }

    /// The share of a model's features that drifted (NaN when none had enough data).
    public func setDriftShare(model: String, share: Double) {
        self.registry.makeGauge(
            descriptor: MetricCatalogue.describe("dataset_drift_share", MetricCatalogue.Help.driftShare), labels: [("model", model)]
        ).set(share)
    }

    /// Counts values that did not fit the baseline's schema.
    public func recordSchemaViolations(model: String, feature: String, kind: String, count: Int) {
        self.registry.makeCounter(
            descriptor: MetricCatalogue.describe("schema_violations_total", MetricCatalogue.Help.schemaViolations),
            labels: [("model", model), ("feature", feature), ("kind", kind)]
        ).increment(by: Int64(count))
    }
}

extension MetricCatalogue {
    /// The drift series, registered on first use.
    public func driftMetrics() -> DriftMetrics {
        DriftMetrics(registry: self.registry)
    }
}
