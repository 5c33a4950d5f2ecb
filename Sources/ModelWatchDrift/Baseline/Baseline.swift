public import Foundation

/// What a model's reference data looked like, frozen so live traffic can be compared with it.
///
/// A baseline is a JSON document (`modelwatch baseline build` writes it). Everything drift needs
/// is in it: bin edges, the reference counts on them, and a bounded sample of raw values for the
/// Evidently-compatible statistics. It is validated on load, so a hand-edited or truncated file
/// is refused with the reason instead of producing wrong numbers.
public struct Baseline: Codable, Sendable, Equatable {
    /// The value of `format`: tells a baseline from any other JSON file.
    public static let formatName = "modelwatch-baseline"
    /// The file version this ModelWatch writes and reads.
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    public var model: String
    /// When it was built, RFC 3339.
    public var createdAt: String
    /// Where the reference data came from (a file, or a window of a store), for people.
    public var source: String
    public var features: [FeatureReference]
    /// Model outputs (labels, scores) get the same treatment as features.
    public var outputs: [FeatureReference]

    public init(model: String, createdAt: String, source: String, features: [FeatureReference], outputs: [FeatureReference]) {
        self.format = Self.formatName
        self.version = Self.currentVersion
        self.model = model
        self.createdAt = createdAt
        self.source = source
        self.features = features
        self.outputs = outputs
    }

    /// Reads and validates a baseline file.
    /// - Throws: `BaselineError` naming the file and what is wrong with it.
    public static func load(from path: String) throws(BaselineError) -> Baseline {
        let bytes: [UInt8]
        do {
            bytes = try LocalFile.read(path)
        } catch {
            throw BaselineError(.unreadable, error.description)
        }
        return try Self.decode(Data(bytes), source: path)
    }

    /// Decodes and validates a baseline document.
    public static func decode(_ data: Data, source: String) throws(BaselineError) -> Baseline {
        let baseline: Baseline
        do {
            baseline = try JSONDecoder().decode(Baseline.self, from: data)
        } catch {
            throw BaselineError(.invalid, "\(source): not a ModelWatch baseline (\(DecodingProblem.describe(error)))")
        }
        do {
            try baseline.validate()
        } catch {
            throw BaselineError(.invalid, "\(source): \(error.detail)")
        }
        return baseline
    }

    /// The document as written to a file: sorted keys, so the same baseline is the same bytes.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every number in a validated baseline is finite, so encoding cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }

    /// A short stable identifier of the document (FNV-1a of its bytes), stored with every
    /// per-minute histogram so minutes binned on other edges are never summed together.
    public var identifier: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in self.encoded() {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Checks every invariant the statistics rely on.
    public func validate() throws(BaselineError) {
        guard self.format == Self.formatName else {
            throw BaselineError(.invalid, "format is \"\(self.format)\", not \"\(Self.formatName)\"")
        }
        guard self.version == Self.currentVersion else {
            throw BaselineError(.invalid, "baseline version \(self.version); this ModelWatch reads version \(Self.currentVersion)")
        }
        guard !self.model.isEmpty else { throw BaselineError(.invalid, "model is empty") }
        var seen = Set<String>()
        for reference in self.features + self.outputs {
            guard seen.insert(reference.name).inserted else { throw BaselineError(.invalid, "\"\(reference.name)\" appears twice") }
            try reference.validate()
        }
    }

    /// A feature or output by name.
    public func reference(named name: String) -> FeatureReference? {
        self.features.first { $0.name == name } ?? self.outputs.first { $0.name == name }
    }
}

/// One feature's or output's reference distribution.
public struct FeatureReference: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case numeric, categorical
    }

    public var name: String
    public var kind: Kind
    /// Values present (not missing) in the reference data.
    public var count: Int
    /// Values missing (empty, null, NaN) in the reference data.
    public var missing: Int
    public var numeric: NumericReference?
    public var categorical: CategoricalReference?

    public init(name: String, count: Int, missing: Int, numeric: NumericReference) {
        self.name = name
        self.kind = .numeric
        self.count = count
        self.missing = missing
        self.numeric = numeric
    }

    public init(name: String, count: Int, missing: Int, categorical: CategoricalReference) {
        self.name = name
        self.kind = .categorical
        self.count = count
        self.missing = missing
        self.categorical = categorical
    }

    /// The share of reference values that were missing.
    public var missingRatio: Double {
        self.count + self.missing == 0 ? 0 : Double(self.missing) / Double(self.count + self.missing)
    }

    func validate() throws(BaselineError) {
        func fail(_ detail: String) -> BaselineError { BaselineError(.invalid, "\"\(self.name)\": \(detail)") }
        guard !self.name.isEmpty else { throw BaselineError(.invalid, "a feature has an empty name") }
        guard self.count > 0, self.missing >= 0 else { throw fail("needs at least one reference value") }
        switch self.kind {
        case .numeric:
            guard let numeric = self.numeric, self.categorical == nil else { throw fail("numeric feature without numeric reference") }
            if let problem = numeric.problem(count: self.count) { throw fail(problem) }
        case .categorical:
            guard let categorical = self.categorical, self.numeric == nil else {
                throw fail("categorical feature without categorical reference")
            }
            if let problem = categorical.problem(count: self.count) { throw fail(problem) }
        }
    }
}

/// A numeric feature's reference: moments, quantile bins and a fine grid.
public struct NumericReference: Codable, Sendable, Equatable {
    public var mean: Double
    /// Population standard deviation (ddof 0, as numpy's `std`), the unit of normalised Wasserstein.
    public var std: Double
    public var min: Double
    public var max: Double
    /// Interior edges of the quantile bins, strictly increasing; the outer bins are open-ended.
    /// Bin `i` holds values in `[edges[i-1], edges[i])`.
    public var edges: [Double]
    /// Reference counts per quantile bin (`edges.count + 1`).
    public var counts: [Int]
    /// A fine uniform grid over the reference range, for KS and Wasserstein.
    public var grid: UniformGrid
    /// Reference counts per grid bin (`grid.bins`); the whole reference lies inside the grid.
    public var gridCounts: [Int]
    /// A uniform random sample of reference values (all of them when few), for the
    /// Evidently-compatible statistics, which need raw values.
    public var sample: [Double]

    public init(
        mean: Double, std: Double, min: Double, max: Double, edges: [Double], counts: [Int], grid: UniformGrid, gridCounts: [Int],
        sample: [Double]
    ) {
        self.mean = mean
        self.std = std
        self.min = min
        self.max = max
        self.edges = edges
        self.counts = counts
        self.grid = grid
        self.gridCounts = gridCounts
        self.sample = sample
    }

    func problem(count: Int) -> String? {
        let numbers = [self.mean, self.std, self.min, self.max] + self.edges + self.sample
        guard numbers.allSatisfy(\.isFinite) else { return "a number is not finite" }
        guard self.min <= self.max, self.std >= 0 else { return "min, max or std out of order" }
        guard zip(self.edges, self.edges.dropFirst()).allSatisfy({ $0 < $1 }) else { return "edges are not strictly increasing" }
        guard self.counts.count == self.edges.count + 1, self.counts.allSatisfy({ $0 >= 0 }), self.counts.reduce(0, +) == count else {
            return "counts do not match the edges and the count"
        }
        if let problem = self.grid.problem { return problem }
        guard self.gridCounts.count == self.grid.bins, self.gridCounts.allSatisfy({ $0 >= 0 }), self.gridCounts.reduce(0, +) == count
        else { return "grid counts do not match the grid and the count" }
        guard self.grid.lower <= self.min, self.grid.upper > self.max else { return "the grid does not cover the reference range" }
        return nil
    }
}

/// Equal-width bins `[lower + i·step, lower + (i+1)·step)` for `i` in `0..<bins`.
public struct UniformGrid: Codable, Sendable, Equatable {
    /// The most bins a grid may have: keeps per-feature memory bounded.
    public static let maximumBins = 4096

    public var lower: Double
    public var step: Double
    public var bins: Int

    public init(lower: Double, step: Double, bins: Int) {
        self.lower = lower
        self.step = step
        self.bins = bins
    }

    public var upper: Double { self.lower + Double(self.bins) * self.step }

    /// The left edge of bin `index` (`bins` gives the upper end).
    @inline(__always)
    public func edge(_ index: Int) -> Double { self.lower + Double(index) * self.step }

    var problem: String? {
        guard self.lower.isFinite, self.step.isFinite, self.step > 0 else { return "grid lower or step invalid" }
        guard self.bins > 0, self.bins <= Self.maximumBins else { return "grid has \(self.bins) bins (1 to \(Self.maximumBins))" }
        guard self.upper.isFinite else { return "grid upper end is not finite" }
        return nil
    }
}

/// A categorical feature's reference: its most frequent values and everything else as `other`.
public struct CategoricalReference: Codable, Sendable, Equatable {
    /// The top-K values, most frequent first.
    public var values: [String]
    /// Reference counts per value, then one for every other value.
    public var counts: [Int]

    public init(values: [String], counts: [Int]) {
        self.values = values
        self.counts = counts
    }

    func problem(count: Int) -> String? {
        guard !self.values.isEmpty else { return "no categories" }
        guard Set(self.values).count == self.values.count else { return "a category appears twice" }
        guard self.counts.count == self.values.count + 1, self.counts.allSatisfy({ $0 >= 0 }), self.counts.reduce(0, +) == count else {
            return "counts do not match the categories and the count"
        }
        return nil
    }
}
