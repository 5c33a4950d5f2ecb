/// One feature's values in one minute, as kept and stored: counts on the baseline's frozen
/// edges, the extremes, and a small uniform sample of raw values.
///
/// Counts are exact and additive, so any window is the exact sum of its minutes; the sample is
/// what the Evidently-compatible statistics and `baseline capture` use, and is the only part that
/// exists for a model without a baseline.
public struct FeatureMinute: Sendable, Equatable {
    /// Values present in the minute.
    public var count: Int
    /// Values missing (absent from a row, NaN, ±Infinity).
    public var missing: Int
    /// Smallest and largest present number (`+inf`/`-inf` when there were none).
    public var minimum: Double
    public var maximum: Double
    /// Counts on the baseline's edges; `nil` for a feature without a baseline.
    public var bins: Bins?
    /// At most the configured number of present values, a uniform sample of the minute's.
    public var sample: [FeatureValue]

    public enum Bins: Sendable, Equatable {
        case numeric(NumericBins)
        /// Per baseline category, then `other`.
        case categorical([UInt32])
    }

    public init(count: Int, missing: Int, minimum: Double, maximum: Double, bins: Bins?, sample: [FeatureValue]) {
        self.count = count
        self.missing = missing
        self.minimum = minimum
        self.maximum = maximum
        self.bins = bins
        self.sample = sample
    }
}

/// A numeric feature's counts on the quantile bins and on the fine grid, with what lies beyond
/// the grid summed so Wasserstein stays exact for values far outside the reference range.
public struct NumericBins: Sendable, Equatable {
    /// Per quantile bin (`edges.count + 1`).
    public var quantile: [UInt32]
    /// Non-zero fine-grid bins as (index, count), indices increasing: a minute of a thousand
    /// values holds at most a thousand entries whatever the grid's size.
    public var grid: [(index: UInt32, count: UInt32)]
    public var below: UInt32
    public var belowSum: Double
    public var above: UInt32
    public var aboveSum: Double

    public init(
        quantile: [UInt32], grid: [(index: UInt32, count: UInt32)], below: UInt32, belowSum: Double, above: UInt32, aboveSum: Double
    ) {
        self.quantile = quantile
        self.grid = grid
        self.below = below
        self.belowSum = belowSum
        self.above = above
        self.aboveSum = aboveSum
    }

    public static func == (lhs: NumericBins, rhs: NumericBins) -> Bool {
        lhs.quantile == rhs.quantile && lhs.below == rhs.below && lhs.above == rhs.above
            && lhs.belowSum.bitPattern == rhs.belowSum.bitPattern && lhs.aboveSum.bitPattern == rhs.aboveSum.bitPattern
            && lhs.grid.elementsEqual(rhs.grid) { $0.index == $1.index && $0.count == $1.count }
    }
}
