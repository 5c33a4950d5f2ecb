/// Which series exist, without reading their samples: what the Prometheus API's `series`,
/// `labels` and `label/<name>/values` answer, and what a label browser asks for on every keystroke.
extension StoreReader {
    func keys(matching selectors: [SeriesSelector], in range: ClosedRange<Int64>) throws(StoreError) -> [SeriesKey] {
        var matched: [Int64: SeriesKey] = [:]
        for selector in selectors {
            for (id, key) in try self.series(matching: selector) { matched[id] = key }
        }
        guard !matched.isEmpty else { return [] }
        // Rows not yet packed are keyed by time: one pass over the range finds every series with one.
        var present: Set<Int64> = []
        let head = try self.connection.prepare("SELECT DISTINCT series_id FROM samples WHERE ts >= ? AND ts <= ?", persistent: false)
        head.bind(range.lowerBound, at: 1)
        head.bind(range.upperBound, at: 2)
        while try head.step() { present.insert(head.int64(at: 0)) }
        let chunk = try self.connection.prepare(
            "SELECT 1 FROM chunks WHERE series_id = ? AND first_ts <= ? AND last_ts >= ? LIMIT 1", persistent: false)
        for id in matched.keys where !present.contains(id) {
            chunk.bind(id, at: 1)
            chunk.bind(range.upperBound, at: 2)
            chunk.bind(range.lowerBound, at: 3)
            if try chunk.step() { present.insert(id) }
            chunk.reset()
        }
        return matched.filter { present.contains($0.key) }.map(\.value).sorted { $0.description < $1.description }
    }
}

extension TimeSeriesStore {
    /// The series any of `selectors` matches that have a sample from `start` through `end`,
    /// sorted by name and labels, without their samples.
    public func seriesKeys(matching selectors: [SeriesSelector], from start: Int64, through end: Int64) throws(StoreError) -> [SeriesKey] {
        guard start <= end else { return [] }
        return try self.withReader { (reader) throws(StoreError) in try reader.keys(matching: selectors, in: start...end) }
    }
}
