import Prometheus

/// The series one kind of exchange records into (one label set, status and answer source),
/// looked up once, for a caller that records many such exchanges and keeps it: recording then
/// hashes no labels and takes none of the catalogue's locks.
public struct ExchangeRecorder: Sendable {
    let duration: ValueHistogram
    let upstream: ValueHistogram
    let overhead: ValueHistogram
    let requestSize: ValueHistogram
    let responseSize: ValueHistogram
    let requests: Counter

    /// Counts one exchange and records its timings and sizes; the measurement's labels, code and
    /// source must be those this recorder was made for.
    public func record(_ measurement: ExchangeMeasurement) {
        self.duration.record(measurement.duration.seconds)
        if let upstream = measurement.upstream {
            self.upstream.record(upstream.seconds)
            self.overhead.record(max(0, (measurement.duration - upstream).seconds))
        }
        self.requestSize.record(Double(measurement.requestBytes))
        self.responseSize.record(Double(measurement.responseBytes))
        // Last, so a scrape that counts this request also sees its histograms.
        self.requests.increment()
    }
}
