import Foundation

/// The statistics as Evidently (0.7, `evidently.legacy` stattests) defines them, computed on raw
/// values: the baseline's reference sample and a uniform sample of the window.
///
/// Evidently bins per comparison — Sturges' rule over reference and current together, and
/// exact values when the reference has 20 distinct values or fewer — so nothing here can be
/// summed from per-minute histograms; that is why this mode reads samples. Where Evidently's
/// definition differs from the histogram mode: Jensen–Shannon uses natural logarithms, PSI
/// replaces empty shares by 1e-4 (or a millionth of the smallest share when that is smaller),
/// Wasserstein divides by `max(std, 0.001)`. The KS p-value is the asymptotic Kolmogorov one;
/// scipy's (which Evidently calls) is exact up to 10 000 values a side.
public enum EvidentlyStatistics {
    /// Evidently treats a numeric column with at most this many distinct reference values as
    /// categorical.
    static let categoricalDistinctLimit = 20

    public static func evaluate(_ reference: FeatureReference, windowSample: [FeatureValue]) -> [DriftStatistic: Double] {
        if let numeric = reference.numeric {
            let current = windowSample.compactMap { value -> Double? in
                if case .number(let number) = value, number.isFinite { return number }
                return nil
            }
            return Self.numeric(reference: numeric.sample, current: current)
        }
        guard let categorical = reference.categorical else { return [:] }
        let index = Dictionary(uniqueKeysWithValues: categorical.values.enumerated().map { ($1, $0) })
        var counts = Array(repeating: 0, count: categorical.counts.count)
        for value in windowSample {
            guard let category = value.category else { continue }
            counts[index[category] ?? counts.count - 1] += 1
        }
        return Self.categorical(reference: categorical.counts, current: counts)
    }

    /// Numeric columns: Sturges bins (or exact values) for PSI and Jensen–Shannon, exact
    /// Wasserstein and KS on the values, Hellinger on Sturges bins over the distinct values.
    public static func numeric(reference: [Double], current: [Double]) -> [DriftStatistic: Double] {
        guard !reference.isEmpty, !current.isEmpty else { return [:] }
        let sortedReference = Self.isSorted(reference) ? reference : reference.sorted()
        let sortedCurrent = current.sorted()
        var values: [DriftStatistic: Double] = [:]
        let referenceShares: [Double]
        let currentShares: [Double]
        let distinct = Self.distinctUnion(sortedReference, sortedCurrent)
        if Self.distinctCount(sortedReference) > Self.categoricalDistinctLimit {
            let edges = Self.sturgesEdges(
                min: min(sortedReference[0], sortedCurrent[0]), max: max(sortedReference.last!, sortedCurrent.last!),
                count: reference.count + current.count)
            referenceShares = Self.histogram(sortedReference, edges).map { Double($0) / Double(reference.count) }
            currentShares = Self.histogram(sortedCurrent, edges).map { Double($0) / Double(current.count) }
        } else {
            referenceShares = Self.valueShares(sortedReference, distinct)
            currentShares = Self.valueShares(sortedCurrent, distinct)
        }
        values[.psi] = Self.psi(referenceShares, currentShares)
        values[.jensenShannon] = Self.jensenShannon(referenceShares, currentShares)

        let edges = Self.sturgesEdges(min: distinct[0], max: distinct[distinct.count - 1], count: distinct.count)
        let referenceCounts = Self.histogram(sortedReference, edges)
        let currentCounts = Self.histogram(sortedCurrent, edges)
        let nominalWidth = (edges[edges.count - 1] - edges[0]) / Double(edges.count - 1)
        var coefficient = 0.0
        for bin in 0..<referenceCounts.count {
            let width = edges[bin + 1] - edges[bin]
            let p = Double(referenceCounts[bin]) / width / Double(reference.count)
            let q = Double(currentCounts[bin]) / width / Double(current.count)
            coefficient += (p * q).squareRoot() * nominalWidth
        }
        values[.hellinger] = (1 - min(max(coefficient, 0), 1)).squareRoot()

        let (d, wasserstein) = Self.cdfDistances(sortedReference, sortedCurrent)
        values[.ksStatistic] = d
        values[.ksPValue] = HistogramStatistics.ksPValue(d, reference.count, current.count)
        values[.wasserstein] = wasserstein / max(Self.populationStd(reference), 0.001)
        return values
    }

    /// Categorical columns: shares of each category (`len` includes every value), chi-square
    /// with expected counts `reference × n_current / n_reference`.
    public static func categorical(reference: [Int], current: [Int]) -> [DriftStatistic: Double] {
        let referenceTotal = Double(reference.reduce(0, +))
        let currentTotal = Double(current.reduce(0, +))
        guard referenceTotal > 0, currentTotal > 0 else { return [:] }
        // Evidently's keys are the categories present on either side.
        let present = zip(reference, current).filter { $0.0 > 0 || $0.1 > 0 }
        let referenceShares = present.map { Double($0.0) / referenceTotal }
        let currentShares = present.map { Double($0.1) / currentTotal }
        var coefficient = 0.0
        for (p, q) in zip(referenceShares, currentShares) { coefficient += (p * q).squareRoot() }
        var statistic = 0.0
        let scale = currentTotal / referenceTotal
        for (referenceCount, currentCount) in present {
            let expected = Double(referenceCount) * scale
            let difference = Double(currentCount) - expected
            statistic += expected > 0 ? difference * difference / expected : .infinity
        }
        return [
            .psi: Self.psi(referenceShares, currentShares),
            .jensenShannon: Self.jensenShannon(referenceShares, currentShares),
            .hellinger: (1 - min(max(coefficient, 0), 1)).squareRoot(),
            .chiSquarePValue: SpecialFunctions.chiSquareSurvival(statistic, degreesOfFreedom: present.count - 1),
        ]
    }

    static func isSorted(_ values: [Double]) -> Bool {
        zip(values, values.dropFirst()).allSatisfy { $0 <= $1 }
    }

    static func distinctCount(_ sorted: [Double]) -> Int {
        zip(sorted, sorted.dropFirst()).reduce(sorted.isEmpty ? 0 : 1) { $0 + ($1.0 == $1.1 ? 0 : 1) }
    }

    /// The distinct values of two sorted arrays, in order.
    static func distinctUnion(_ a: [Double], _ b: [Double]) -> [Double] {
        var union: [Double] = []
        union.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            let x = min(i < a.count ? a[i] : .infinity, j < b.count ? b[j] : .infinity)
            if union.last != x { union.append(x) }
            while i < a.count, a[i] == x { i += 1 }
            while j < b.count, b[j] == x { j += 1 }
        }
        return union
    }

    /// numpy's `histogram_bin_edges(…, bins="sturges")`.
    static func sturgesEdges(min low: Double, max high: Double, count: Int) -> [Double] {
        var lower = low
        var upper = high
        if lower == upper {
            lower -= 0.5
            upper += 0.5
        }
        let width = (high - low) / (log2(Double(count)) + 1)
        let bins = width > 0 ? Int(((upper - lower) / width).rounded(.up)) : 1
        let step = (upper - lower) / Double(bins)
        var edges = (0...bins).map { Double($0) * step + lower }
        edges[bins] = upper
        return edges
    }

    /// Counts per bin, `[e_i, e_i+1)` with the last bin closed, of sorted values.
    static func histogram(_ sorted: [Double], _ edges: [Double]) -> [Int] {
        var cumulative = edges.dropLast().map { Self.countBelow(sorted, $0, orEqual: false) }
        cumulative.append(Self.countBelow(sorted, edges[edges.count - 1], orEqual: true))
        return zip(cumulative.dropFirst(), cumulative).map { $0 - $1 }
    }

    private static func valueShares(_ sorted: [Double], _ keys: [Double]) -> [Double] {
        keys.map { key in
            Double(Self.countBelow(sorted, key, orEqual: true) - Self.countBelow(sorted, key, orEqual: false)) / Double(sorted.count)
        }
    }

    /// Values `< x` (or `<= x`) in a sorted array.
    static func countBelow(_ sorted: [Double], _ x: Double, orEqual: Bool) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) >> 1
            if sorted[middle] < x || (orEqual && sorted[middle] == x) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// PSI with Evidently's empty-share rule, applied to each side on its own.
    static func psi(_ reference: [Double], _ current: [Double]) -> Double {
        func filled(_ shares: [Double]) -> [Double] {
            let smallest = shares.filter { $0 > 0 }.min() ?? 1
            let replacement = smallest <= 0.0001 ? smallest / 1e6 : 0.0001
            return shares.map { $0 == 0 ? replacement : $0 }
        }
        let r = filled(reference)
        let c = filled(current)
        return zip(r, c).reduce(0) { $0 + ($1.0 - $1.1) * log($1.0 / $1.1) }
    }

    /// scipy's `jensenshannon` with natural logarithms, as Evidently calls it.
    static func jensenShannon(_ reference: [Double], _ current: [Double]) -> Double {
        let referenceTotal = reference.reduce(0, +)
        let currentTotal = current.reduce(0, +)
        var divergence = 0.0
        for (rawP, rawQ) in zip(reference, current) {
            let p = rawP / referenceTotal
            let q = rawQ / currentTotal
            let m = (p + q) / 2
            if p > 0 { divergence += p * log(p / m) }
            if q > 0 { divergence += q * log(q / m) }
        }
        return max(divergence / 2, 0).squareRoot()
    }

    /// KS D and Wasserstein-1 between two empirical distributions, walking both sorted samples.
    static func cdfDistances(_ a: [Double], _ b: [Double]) -> (d: Double, wasserstein: Double) {
        var i = 0
        var j = 0
        var d = 0.0
        var area = 0.0
        var previous = min(a[0], b[0])
        while i < a.count || j < b.count {
            let x = min(i < a.count ? a[i] : .infinity, j < b.count ? b[j] : .infinity)
            let gap = abs(Double(i) / Double(a.count) - Double(j) / Double(b.count))
            area += gap * (x - previous)
            previous = x
            while i < a.count, a[i] == x { i += 1 }
            while j < b.count, b[j] == x { j += 1 }
            d = max(d, abs(Double(i) / Double(a.count) - Double(j) / Double(b.count)))
        }
        return (d, area)
    }

    static func populationStd(_ values: [Double]) -> Double {
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.reduce(0) { $0 + (mean - $1) * (mean - $1) } / Double(values.count)).squareRoot()
    }
}
