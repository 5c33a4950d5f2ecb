/// Dense counts of one feature on its baseline's edges: the live minute being filled, and the
/// sum of a window's minutes that the statistics read.
public struct FeatureHistogram: Sendable {
    public private(set) var count = 0
    public private(set) var missing = 0
    public private(set) var minimum = Double.infinity
    public private(set) var maximum = -Double.infinity
    /// Quantile-bin counts (numeric) or category counts with `other` last (categorical).
    public private(set) var coarse: [Int]
    /// Fine-grid counts; empty for categorical features.
    public private(set) var grid: [Int]
    public private(set) var below = 0
    public private(set) var belowSum = 0.0
    public private(set) var above = 0
    public private(set) var aboveSum = 0.0
    private let binning: FeatureBinning

    public init(binning: FeatureBinning) {
        self.binning = binning
        switch binning {
        case .numeric(let edges, let grid):
            self.coarse = Array(repeating: 0, count: edges.count + 1)
            self.grid = Array(repeating: 0, count: grid.bins)
        case .categorical(let categories):
            self.coarse = Array(repeating: 0, count: categories.count + 1)
            self.grid = []
        case .unbinned:
            self.coarse = []
            self.grid = []
        }
    }

    /// Counts one value. Cheap on purpose: it runs once per feature per row on the pipeline.
    @inline(__always)
    public mutating func add(_ value: FeatureValue) {
        switch self.binning {
        case .numeric(let edges, let grid):
            guard case .number(let number) = value, number.isFinite else {
                self.missing += 1
                return
            }
            self.count += 1
            if number < self.minimum { self.minimum = number }
            if number > self.maximum { self.maximum = number }
            self.coarse[BaselineBuilder.bin(of: number, edges: edges)] += 1
            let position = (number - grid.lower) / grid.step
            if position < 0 {
                self.below += 1
                self.belowSum += number
            } else if position >= Double(grid.bins) {
                self.above += 1
                self.aboveSum += number
            } else {
                self.grid[Int(position)] += 1
            }
        case .categorical(let categories):
            guard let category = value.category else {
                self.missing += 1
                return
            }
            self.count += 1
            if case .number(let number) = value {
                if number < self.minimum { self.minimum = number }
                if number > self.maximum { self.maximum = number }
            }
            self.coarse[categories[category] ?? self.coarse.count - 1] += 1
        case .unbinned:
            switch value {
            case .number(let number) where number.isFinite:
                self.count += 1
                if number < self.minimum { self.minimum = number }
                if number > self.maximum { self.maximum = number }
            case .text:
                self.count += 1
            case .number, .missing:
                self.missing += 1
            }
        }
    }

    /// Adds a stored minute; minutes whose counts do not fit these edges are refused.
    /// - Returns: `false` when the minute was binned on other edges.
    @discardableResult
    public mutating func add(_ minute: FeatureMinute) -> Bool {
        switch minute.bins {
        case .numeric(let bins):
            guard bins.quantile.count == self.coarse.count, !self.grid.isEmpty,
                bins.grid.allSatisfy({ Int($0.index) < self.grid.count })
            else { return false }
            for (index, count) in bins.quantile.enumerated() { self.coarse[index] += Int(count) }
            for entry in bins.grid { self.grid[Int(entry.index)] += Int(entry.count) }
            self.below += Int(bins.below)
            self.belowSum += bins.belowSum
            self.above += Int(bins.above)
            self.aboveSum += bins.aboveSum
        case .categorical(let counts):
            guard counts.count == self.coarse.count, self.grid.isEmpty else { return false }
            for (index, count) in counts.enumerated() { self.coarse[index] += Int(count) }
        case nil:
            guard case .unbinned = self.binning else { return false }
        }
        self.count += minute.count
        self.missing += minute.missing
        self.minimum = min(self.minimum, minute.minimum)
        self.maximum = max(self.maximum, minute.maximum)
        return true
    }

    /// The counts as a stored minute, with the grid made sparse.
    public func sealed(sample: [FeatureValue]) -> FeatureMinute {
        let bins: FeatureMinute.Bins?
        if case .unbinned = self.binning {
            bins = nil
        } else if self.grid.isEmpty {
            bins = .categorical(self.coarse.map { UInt32(clamping: $0) })
        } else {
            var sparse: [(index: UInt32, count: UInt32)] = []
            for (index, count) in self.grid.enumerated() where count > 0 { sparse.append((UInt32(index), UInt32(clamping: count))) }
            bins = .numeric(
                NumericBins(
                    quantile: self.coarse.map { UInt32(clamping: $0) }, grid: sparse, below: UInt32(clamping: self.below),
                    belowSum: self.belowSum, above: UInt32(clamping: self.above), aboveSum: self.aboveSum))
        }
        return FeatureMinute(
            count: self.count, missing: self.missing, minimum: self.minimum, maximum: self.maximum, bins: bins, sample: sample)
    }
}

/// A feature's frozen edges in the form the hot loop wants them.
public enum FeatureBinning: Sendable {
    case numeric(edges: [Double], grid: UniformGrid)
    /// Category → its index among the baseline's top values.
    case categorical([String: Int])
    /// No baseline yet: only counts, extremes and the sample are kept.
    case unbinned

    public init(_ reference: FeatureReference?) {
        guard let reference else {
            self = .unbinned
            return
        }
        if let numeric = reference.numeric {
            self = .numeric(edges: numeric.edges, grid: numeric.grid)
        } else {
            let values = reference.categorical?.values ?? []
            self = .categorical(Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, $0) }))
        }
    }
}
