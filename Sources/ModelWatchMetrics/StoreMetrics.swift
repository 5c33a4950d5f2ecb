import Prometheus

/// The series that tell how the SQLite store is doing.
public struct StoreMetrics: Sendable {
    let writeSeconds: ValueHistogram
    let rowsWritten: Counter
    let databaseBytes: Gauge
    let appendErrors: Counter
    let maintenanceErrors: Counter
    let driftErrors: Counter

    /// One snapshot written: how long it took and how many rows it added.
    public func recordWrite(seconds: Double, rows: Int) {
        self.writeSeconds.record(seconds)
        self.rowsWritten.increment(by: Int64(rows))
    }

    /// A snapshot that could not be written.
    public func recordAppendError() {
        self.appendErrors.increment()
    }

    /// Compaction or retention that failed; the snapshot itself was written.
    public func recordMaintenanceError() {
        self.maintenanceErrors.increment()
    }

    /// A minute of drift histograms that could not be written.
    public func recordDriftError() {
        self.driftErrors.increment()
    }

    public func setDatabaseSize(_ bytes: Int64) {
        self.databaseBytes.set(Double(bytes))
    }
}
