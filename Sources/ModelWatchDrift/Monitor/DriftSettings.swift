/// How drift is computed and judged; the same for every model.
public struct DriftSettings: Sendable, Equatable {
    /// Which definitions the statistics follow.
    public enum Method: String, Sendable, CaseIterable {
        /// Exact sums of per-minute histograms on the baseline's frozen edges.
        case histogram
        /// Evidently's own bin rules and normalisation, on the raw-value samples of the window.
        case evidently
    }

    /// The sliding window the statistics cover, in whole minutes.
    public var windowMinutes: Int
    /// Raw values kept per feature and minute (a uniform sample): what the Evidently-compatible
    /// mode and `baseline capture` read.
    public var samplePerMinute: Int
    /// Features tracked per model without a baseline (discovered from payloads), so a model
    /// with a million-wide tensor cannot grow memory without bound.
    public var maximumFeatures: Int
    /// A number further outside the reference `[min, max]` than this share of its width is a
    /// schema violation (`out_of_range`); it is still counted in the histograms.
    public var rangeTolerance: Double
    public var thresholds: DriftThresholds
    public var method: Method

    public init(
        windowMinutes: Int = 60, samplePerMinute: Int = 100, maximumFeatures: Int = 256, rangeTolerance: Double = 0.5,
        thresholds: DriftThresholds = DriftThresholds(), method: Method = .histogram
    ) {
        self.windowMinutes = windowMinutes
        self.samplePerMinute = samplePerMinute
        self.maximumFeatures = maximumFeatures
        self.rangeTolerance = rangeTolerance
        self.thresholds = thresholds
        self.method = method
    }
}
