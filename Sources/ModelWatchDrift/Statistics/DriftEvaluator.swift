/// Judges one feature's window against its reference: sums the window's minutes, refuses to
/// answer on too little data, and computes the statistics by the configured method.
public struct DriftEvaluator: Sendable {
    public let settings: DriftSettings

    public init(settings: DriftSettings) {
        self.settings = settings
    }

    /// - Parameter minutes: the window's minutes, binned on `reference`'s edges.
    public func evaluate(_ reference: FeatureReference, role: FeatureRole, minutes: [FeatureMinute]) -> FeatureDrift {
        var window = FeatureHistogram(binning: FeatureBinning(reference))
        var used: [FeatureMinute] = []
        for minute in minutes where window.add(minute) { used.append(minute) }
        let total = window.count + window.missing
        let missingRatio = total > 0 ? Double(window.missing) / Double(total) : 0
        guard window.count >= max(self.settings.thresholds.minimumSamples, 1) else {
            return FeatureDrift(
                name: reference.name, role: role, samples: window.count, missingRatio: missingRatio, verdict: .insufficientData, values: [:]
            )
        }
        let values: [DriftStatistic: Double]
        switch self.settings.method {
        case .histogram:
            values = HistogramStatistics.evaluate(reference, window)
        case .evidently:
            values = EvidentlyStatistics.evaluate(reference, windowSample: Self.windowSample(used))
        }
        return FeatureDrift(
            name: reference.name, role: role, samples: window.count, missingRatio: missingRatio,
            verdict: self.settings.thresholds.verdict(values), values: values)
    }

    /// A uniform sample of the window from the minutes' samples: every kept value stands for
    /// the same number of real ones, so a busy minute is not under-represented. When every
    /// minute kept all its values, this is all of the window's values.
    public static func windowSample(_ minutes: [FeatureMinute]) -> [FeatureValue] {
        var ratio = 1.0
        for minute in minutes where !minute.sample.isEmpty {
            ratio = max(ratio, Double(minute.count) / Double(minute.sample.count))
        }
        var sample: [FeatureValue] = []
        for minute in minutes {
            let share = Int((Double(minute.count) / ratio).rounded())
            sample.append(contentsOf: minute.sample.prefix(share))
        }
        return sample
    }
}
