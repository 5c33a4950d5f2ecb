/// Freezes reference data into a `Baseline`: moments, quantile bin edges, a fine grid and a
/// bounded sample per numeric feature; the top-K values per categorical one.
public struct BaselineBuilder: Sendable {
    /// Quantile bins per numeric feature, for PSI, Jensen–Shannon and Hellinger. Ten keeps their
    /// small-sample noise well under the default thresholds at 1 000 values a window.
    public var bins: Int
    /// Values kept per categorical feature; the rest count as `other`.
    public var topK: Int
    /// Raw reference values kept per numeric feature for the Evidently-compatible statistics.
    public var sampleSize: Int
    /// Fine-grid bins per reference standard deviation (for KS and Wasserstein), within
    /// `UniformGrid.maximumBins` over the whole range.
    public var gridResolution: Double
    /// Columns to treat as categorical even when every value is a number (class labels).
    public var categorical: Set<String>

    public init(bins: Int = 10, topK: Int = 20, sampleSize: Int = 10_000, gridResolution: Double = 100, categorical: Set<String> = []) {
        self.bins = bins
        self.topK = topK
        self.sampleSize = sampleSize
        self.gridResolution = gridResolution
        self.categorical = categorical
    }

    /// Builds a baseline from named columns of reference values.
    /// - Throws: `BaselineError.noData` for a column without one present value.
    public func build(
        model: String, source: String, createdAt: String, features: [(name: String, values: [FeatureValue])],
        outputs: [(name: String, values: [FeatureValue])]
    ) throws(BaselineError) -> Baseline {
        var featureReferences: [FeatureReference] = []
        for column in features { featureReferences.append(try self.reference(name: column.name, values: column.values)) }
        var outputReferences: [FeatureReference] = []
        for column in outputs { outputReferences.append(try self.reference(name: column.name, values: column.values)) }
        let baseline = Baseline(model: model, createdAt: createdAt, source: source, features: featureReferences, outputs: outputReferences)
        try baseline.validate()
        return baseline
    }

    /// One column's reference: numeric when every present value is a number and the column is
    /// not named categorical.
    public func reference(name: String, values: [FeatureValue]) throws(BaselineError) -> FeatureReference {
        var numbers: [Double] = []
        var missing = 0
        var numeric = !self.categorical.contains(name)
        for value in values {
            switch value {
            case .number(let number) where number.isFinite: numbers.append(number)
            case .number: missing += 1  // ±Infinity has no place on any grid
            case .text: numeric = false
            case .missing: missing += 1
            }
        }
        if numeric {
            guard !numbers.isEmpty else { throw BaselineError(.noData, "\"\(name)\" has no values") }
            return FeatureReference(name: name, count: numbers.count, missing: missing, numeric: self.numericReference(numbers))
        }
        var counts: [String: Int] = [:]
        var present = 0
        for value in values {
            guard let category = value.category else { continue }
            counts[category, default: 0] += 1
            present += 1
        }
        guard present > 0 else { throw BaselineError(.noData, "\"\(name)\" has no values") }
        let ranked = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let top = ranked.prefix(self.topK)
        let other = ranked.dropFirst(self.topK).reduce(0) { $0 + $1.value }
        return FeatureReference(
            name: name, count: present, missing: values.count - present,
            categorical: CategoricalReference(values: top.map(\.key), counts: top.map(\.value) + [other]))
    }

    func numericReference(_ values: [Double]) -> NumericReference {
        let sorted = values.sorted()
        let count = Double(sorted.count)
        let mean = sorted.reduce(0, +) / count
        let variance = sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count
        let std = variance.squareRoot()
        let minimum = sorted[0]
        let maximum = sorted[sorted.count - 1]

        var edges: [Double] = []
        for index in 1..<max(self.bins, 1) {
            let edge = Self.quantile(sorted, Double(index) / Double(self.bins))
            // Ties (discrete data) collapse bins; an edge at the minimum would leave an empty first bin.
            if edge > minimum, edge > (edges.last ?? -.infinity) { edges.append(edge) }
        }
        var counts = Array(repeating: 0, count: edges.count + 1)
        for value in sorted { counts[Self.bin(of: value, edges: edges)] += 1 }

        let range = maximum - minimum
        var step = std > 0 ? std / self.gridResolution : max(abs(minimum) * 1e-6, 1e-9)
        step = max(step, range / Double(UniformGrid.maximumBins - 1))
        let grid = UniformGrid(lower: minimum, step: step, bins: min(Int(range / step) + 1, UniformGrid.maximumBins))
        var gridCounts = Array(repeating: 0, count: grid.bins)
        for value in sorted { gridCounts[min(max(Int((value - grid.lower) / grid.step), 0), grid.bins - 1)] += 1 }

        return NumericReference(
            mean: mean, std: std, min: minimum, max: maximum, edges: edges, counts: counts, grid: grid, gridCounts: gridCounts,
            // Sorted: the Evidently-compatible statistics sort it on every use otherwise.
            sample: ValueReservoir.sample(values, size: self.sampleSize).sorted())
    }

    /// The quantile with linear interpolation between order statistics (numpy's default).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = Double(sorted.count - 1) * q
        let lower = Int(position)
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (position - Double(lower)) * (sorted[upper] - sorted[lower])
    }

    /// The quantile bin of a value: the number of edges at or below it.
    @inline(__always)
    static func bin(of value: Double, edges: [Double]) -> Int {
        var low = 0
        var high = edges.count
        while low < high {
            let middle = (low + high) >> 1
            if edges[middle] <= value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
