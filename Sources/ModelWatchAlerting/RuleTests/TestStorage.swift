import ModelWatchQuery
import ModelWatchStore

/// The in-memory storage a rule unit test runs on: input series and rule outputs, readable up to
/// a cutoff the way promtool's lazy loader only holds samples up to the evaluation time.
struct TestStorage {
    private(set) var series: [Labels: [Point]] = [:]

    mutating func append(_ labels: Labels, timestamp: Int64, value: Double) {
        var points = self.series[labels, default: []]
        if let last = points.last, last.timestamp >= timestamp {
            if let index = points.firstIndex(where: { $0.timestamp >= timestamp }) {
                if points[index].timestamp == timestamp {
                    points[index].value = value
                } else {
                    points.insert(Point(timestamp: timestamp, value: value), at: index)
                }
            }
        } else {
            points.append(Point(timestamp: timestamp, value: value))
        }
        self.series[labels] = points
    }

    func source(through cutoff: Int64) -> Source { Source(series: self.series, cutoff: cutoff) }

    struct Source: SeriesSource {
        let series: [Labels: [Point]]
        let cutoff: Int64

        func series(matching matchers: [LabelMatcher], from start: Int64, through end: Int64) throws(QueryError) -> [Series] {
            let last = min(end, self.cutoff)
            var result: [Series] = []
            for (labels, points) in self.series where matchers.allSatisfy({ $0.matches(labels[$0.name]) }) {
                let inRange = points.filter { $0.timestamp >= start && $0.timestamp <= last }
                if !inRange.isEmpty { result.append(Series(labels: labels, points: inRange)) }
            }
            return result.sorted { $0.labels < $1.labels }
        }
    }
}
