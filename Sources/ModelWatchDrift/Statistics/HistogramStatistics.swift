import Foundation

/// Drift statistics computed from counts on the baseline's frozen edges: exact sums of minutes,
/// so the same window gives the same numbers live and from the store after a restart.
public enum HistogramStatistics {
    /// What replaces an empty bin's share in PSI, as Evidently does, so an empty bin costs a
    /// large but finite amount instead of infinity.
    public static let emptyBinShare = 0.0001

    /// Every statistic that applies to the feature's kind.
    public static func evaluate(_ reference: FeatureReference, _ window: FeatureHistogram) -> [DriftStatistic: Double] {
        let referenceShares: [Double]
        if let numeric = reference.numeric {
            referenceShares = Self.shares(numeric.counts)
        } else {
            referenceShares = Self.shares(reference.categorical?.counts ?? [])
        }
        let windowShares = Self.shares(window.coarse)
        var values: [DriftStatistic: Double] = [
            .psi: Self.psi(referenceShares, windowShares),
            .jensenShannon: Self.jensenShannon(referenceShares, windowShares),
            .hellinger: Self.hellinger(referenceShares, windowShares),
        ]
        if let numeric = reference.numeric {
            let d = Self.kolmogorovSmirnov(numeric, window)
            values[.ksStatistic] = d
            values[.ksPValue] = Self.ksPValue(d, reference.count, window.count)
            values[.wasserstein] = Self.wasserstein(numeric, window) / (numeric.std > 0 ? numeric.std : 1)
        } else if let categorical = reference.categorical {
            values[.chiSquarePValue] = Self.chiSquare(observed: window.coarse, reference: categorical.counts).pValue
        }
        return values
    }

    static func shares(_ counts: [Int]) -> [Double] {
        let total = Double(counts.reduce(0, +))
        return counts.map { total > 0 ? Double($0) / total : 0 }
    }

    /// `Σ (c − r) · ln(c / r)`, empty shares replaced by `emptyBinShare`.
    public static func psi(_ reference: [Double], _ current: [Double]) -> Double {
        var sum = 0.0
        for (r, c) in zip(reference, current) {
            let r = r > 0 ? r : Self.emptyBinShare
            let c = c > 0 ? c : Self.emptyBinShare
            sum += (c - r) * log(c / r)
        }
        return sum
    }

    /// `√JSD` with base-2 logarithms, so 0 for equal and 1 for disjoint distributions.
    public static func jensenShannon(_ reference: [Double], _ current: [Double]) -> Double {
        var divergence = 0.0
        for (p, q) in zip(reference, current) {
            let m = (p + q) / 2
            if p > 0 { divergence += p * log2(p / m) }
            if q > 0 { divergence += q * log2(q / m) }
        }
        return max(divergence / 2, 0).squareRoot()
    }

    /// `√(1 − Σ √(p·q))`.
    public static func hellinger(_ reference: [Double], _ current: [Double]) -> Double {
        var coefficient = 0.0
        for (p, q) in zip(reference, current) { coefficient += (p * q).squareRoot() }
        return max(1 - coefficient, 0).squareRoot()
    }

    /// The largest gap between the two cumulative distributions at the grid's edges. The grid
    /// is a hundredth of a reference standard deviation fine, so the gap between edges adds at
    /// most one fine bin's share to the exact D.
    static func kolmogorovSmirnov(_ reference: NumericReference, _ window: FeatureHistogram) -> Double {
        guard window.count > 0 else { return .nan }
        let referenceTotal = Double(reference.gridCounts.reduce(0, +))
        let windowTotal = Double(window.count)
        var referenceBelow = 0.0
        var windowBelow = Double(window.below)
        var d = windowBelow / windowTotal
        for index in 0..<reference.grid.bins {
            referenceBelow += Double(reference.gridCounts[index])
            windowBelow += Double(window.grid[index])
            d = max(d, abs(referenceBelow / referenceTotal - windowBelow / windowTotal))
        }
        return d
    }

    /// The asymptotic two-sample p-value of D for samples of `n` and `m` values.
    public static func ksPValue(_ d: Double, _ n: Int, _ m: Int) -> Double {
        guard n > 0, m > 0, !d.isNaN else { return .nan }
        let effective = Double(n) * Double(m) / Double(n + m)
        return SpecialFunctions.kolmogorovSurvival(effective.squareRoot() * d)
    }

    /// `∫ |F_ref − F_window| dx`: both distributions taken as uniform inside each grid bin, and
    /// the window's values beyond the grid counted exactly through their sums (the reference
    /// lies wholly inside the grid, so there one side of the gap is 0 or 1).
    static func wasserstein(_ reference: NumericReference, _ window: FeatureHistogram) -> Double {
        guard window.count > 0 else { return .nan }
        let grid = reference.grid
        let referenceTotal = Double(reference.gridCounts.reduce(0, +))
        let windowTotal = Double(window.count)
        var distance = (Double(window.below) * grid.lower - window.belowSum) / windowTotal
        distance += (window.aboveSum - Double(window.above) * grid.upper) / windowTotal
        var referenceBelow = 0.0
        var windowBelow = Double(window.below)
        var gapAtLeft = -windowBelow / windowTotal
        for index in 0..<grid.bins {
            referenceBelow += Double(reference.gridCounts[index])
            windowBelow += Double(window.grid[index])
            let gapAtRight = referenceBelow / referenceTotal - windowBelow / windowTotal
            distance += grid.step * Self.meanAbsoluteOfLine(gapAtLeft, gapAtRight)
            gapAtLeft = gapAtRight
        }
        return distance
    }

    /// The mean of `|f|` over a segment where `f` runs linearly from `a` to `b`.
    @inline(__always)
    static func meanAbsoluteOfLine(_ a: Double, _ b: Double) -> Double {
        if (a >= 0) == (b >= 0) { return abs(a + b) / 2 }
        return (a * a + b * b) / (2 * (abs(a) + abs(b)))
    }

    /// Pearson's chi-square of the window's category counts against the reference shares.
    /// A category the reference never saw but the window did makes the statistic infinite (p 0).
    public static func chiSquare(observed: [Int], reference: [Int]) -> (statistic: Double, pValue: Double) {
        let total = Double(observed.reduce(0, +))
        let referenceTotal = Double(reference.reduce(0, +))
        guard total > 0, referenceTotal > 0 else { return (.nan, .nan) }
        var statistic = 0.0
        var categories = 0
        for (seen, expectedCount) in zip(observed, reference) {
            let expected = Double(expectedCount) / referenceTotal * total
            if expected > 0 {
                categories += 1
                let difference = Double(seen) - expected
                statistic += difference * difference / expected
            } else if seen > 0 {
                return (.infinity, 0)
            }
        }
        return (statistic, SpecialFunctions.chiSquareSurvival(statistic, degreesOfFreedom: categories - 1))
    }
}
