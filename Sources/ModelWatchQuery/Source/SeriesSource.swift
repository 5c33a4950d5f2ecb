public import ModelWatchStore

/// Where the engine reads series from.
///
/// The engine asks once per selector for the whole time span the query needs, then works in memory.
public protocol SeriesSource: Sendable {
    /// Every series whose labels satisfy all matchers, with its samples from `start` through `end`
    /// inclusive (milliseconds), in time order; series without samples in the span may be left out.
    /// - Throws: `QueryError` with code `.storage` when the source cannot be read.
    func series(matching matchers: [LabelMatcher], from start: Int64, through end: Int64) throws(QueryError) -> [Series]
}

/// A Prometheus stale marker: the NaN Prometheus writes when a series disappears.
public enum StaleMarker {
    /// The bit pattern of Prometheus's stale NaN.
    public static let bitPattern: UInt64 = 0x7ff0_0000_0000_0002
    /// The stale marker as a value.
    public static let value = Double(bitPattern: bitPattern)

    /// Whether a value is a stale marker (not just any NaN).
    public static func isStale(_ value: Double) -> Bool { value.bitPattern == Self.bitPattern }
}
