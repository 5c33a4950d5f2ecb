public import ModelWatchStore

/// Series held in memory: for tests and for data loaded from text.
public struct InMemorySeriesSource: SeriesSource, Sendable {
    private var all: [Labels: [Point]] = [:]

    /// An empty source.
    public init() {}

    /// Adds a sample; samples of a series may come in any order, a second one at the same time replaces the first.
    public mutating func append(_ labels: Labels, timestamp: Int64, value: Double) {
        self.all[labels, default: []].append(Point(timestamp: timestamp, value: value))
    }

    /// Sorts each series' samples by time, dropping duplicates (the last one wins).
    public mutating func finish() {
        for (labels, points) in self.all {
            var byTime: [Int64: Double] = [:]
            for point in points { byTime[point.timestamp] = point.value }
            self.all[labels] = byTime.map { Point(timestamp: $0.key, value: $0.value) }.sorted { $0.timestamp < $1.timestamp }
        }
    }

    public func series(matching matchers: [LabelMatcher], from start: Int64, through end: Int64) throws(QueryError) -> [Series] {
        var result: [Series] = []
        for (labels, points) in self.all where matchers.allSatisfy({ $0.matches(labels[$0.name]) }) {
            let inRange = points.filter { $0.timestamp >= start && $0.timestamp <= end }
            if !inRange.isEmpty { result.append(Series(labels: labels, points: inRange)) }
        }
        return result.sorted { $0.labels < $1.labels }
    }
}
