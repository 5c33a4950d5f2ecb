import Prometheus

/// A model version's `predictions_total` and its model's `batch_size`, looked up once, for a
/// caller that keeps them (see `ExchangeRecorder`).
public struct PredictionRecorder: Sendable {
    let predictions: Counter
    let batchSize: ValueHistogram

    /// Counts answered rows and records the batch size.
    public func record(rows: Int) {
        self.predictions.increment(by: Int64(rows))
        self.batchSize.record(Double(rows))
    }
}
