public import Logging
import ModelWatchMetrics
public import ModelWatchProxy

/// The sidecar's analysis side as `serve` assembles it (metric catalogue, bounded labels, drift,
/// pipeline) without ports, store, shadow or service group, driven on the caller's thread.
///
/// It exists so that the analysis benchmark measures the wiring the sidecar runs rather than a
/// copy of it that could drift apart.
public final class StandaloneAnalysis: Sendable {
    /// What the data port's event loops call for every exchange.
    public var observer: any ExchangeObserver { self.pipeline }
    private let pipeline: AnalysisPipeline
    private let catalogue: MetricCatalogue

    private init(pipeline: AnalysisPipeline, catalogue: MetricCatalogue) {
        self.pipeline = pipeline
        self.catalogue = catalogue
    }

    /// Assembles the analysis side of `configuration`; drift runs without a store, as it does
    /// when storage is off.
    public static func assemble(configuration: ModelWatchConfiguration, logger: Logger) async -> StandaloneAnalysis {
        let catalogue = MetricCatalogue(version: Sidecar.version)
        let drift =
            configuration.drift.enabled
            ? await DriftTracker.start(configuration: configuration.drift, catalogue: catalogue, recorder: nil, logger: logger) : nil
        let analyzer = ExchangeAnalyzer(configuration: configuration, catalogue: catalogue, drift: drift, shadow: nil, logger: logger)
        return StandaloneAnalysis(
            pipeline: AnalysisPipeline(configuration: configuration.analysis, analyzer: analyzer), catalogue: catalogue)
    }

    /// Analyses the observations the observer has queued, on the caller's thread.
    /// - Returns: how many there were.
    public func analyzeWaiting() -> Int {
        self.pipeline.analyzeWaiting()
    }

    /// The metrics exposition as `/metrics` serves it.
    public func exposition() -> String {
        String(decoding: self.catalogue.exposition(), as: UTF8.self)
    }
}
