public import ModelWatchQuery
public import ModelWatchStore

/// A source that adds samples written during a group's evaluation to what the base source holds,
/// so a later rule of the group sees an earlier one's output at the same time before the store
/// has written it.
public struct OverlaySeriesSource: SeriesSource, Sendable {
    private let base: any SeriesSource
    private let overlay: InMemorySeriesSource

    /// The base source, with `overlay`'s samples added (they win at the same timestamp).
    public init(base: any SeriesSource, overlay: InMemorySeriesSource) {
        self.base = base
        self.overlay = overlay
    }

    public func series(matching matchers: [LabelMatcher], from start: Int64, through end: Int64) throws(QueryError) -> [Series] {
        let extra = try self.overlay.series(matching: matchers, from: start, through: end)
        let stored = try self.base.series(matching: matchers, from: start, through: end)
        guard !extra.isEmpty else { return stored }
        var byLabels: [Labels: [Point]] = [:]
        for series in stored { byLabels[series.labels] = series.points }
        for series in extra {
            var points: [Int64: Double] = [:]
            for point in byLabels[series.labels] ?? [] { points[point.timestamp] = point.value }
            for point in series.points { points[point.timestamp] = point.value }
            byLabels[series.labels] = points.map { Point(timestamp: $0.key, value: $0.value) }.sorted { $0.timestamp < $1.timestamp }
        }
        return byLabels.map { Series(labels: $0.key, points: $0.value) }.sorted { $0.labels < $1.labels }
    }
}
