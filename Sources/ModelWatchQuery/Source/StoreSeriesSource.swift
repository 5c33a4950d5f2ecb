public import ModelWatchStore

/// Series read from a ModelWatch SQLite store.
public struct StoreSeriesSource: SeriesSource, Sendable {
    private let store: TimeSeriesStore

    /// - Parameter store: ideally opened with `TimeSeriesStore(readingFrom:)`; the source only reads.
    public init(store: TimeSeriesStore) {
        self.store = store
    }

    public func series(matching matchers: [LabelMatcher], from start: Int64, through end: Int64) throws(QueryError) -> [Series] {
        do {
            let stored = try self.store.select(SeriesSelector(matchers: matchers), from: start, through: end)
            return stored.map { series in
                Series(labels: Labels(series.key), points: series.samples.map { Point(timestamp: $0.timestamp, value: $0.value) })
            }
            .sorted { $0.labels < $1.labels }
        } catch {
            throw QueryError(.storage, "reading the store failed: \(error)")
        }
    }
}
