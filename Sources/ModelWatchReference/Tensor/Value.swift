/// A value flowing between nodes: a tensor, or the sequence of maps `ZipMap` produces.
public enum Value: Sendable, Equatable {
    case tensor(Tensor)
    case maps(ProbabilityMaps)

    /// The tensor, if this value is one.
    public var tensor: Tensor? {
        if case .tensor(let tensor) = self { return tensor }
        return nil
    }
}

/// A sequence of maps sharing one key set (ZipMap's output): row `r` maps `keys[k]` to `values[r * keys.count + k]`.
public struct ProbabilityMaps: Sendable, Equatable {
    /// The keys every map has: class labels.
    public enum Keys: Sendable, Equatable {
        case int64([Int64])
        case string([String])

        /// The number of keys.
        public var count: Int {
            switch self {
            case .int64(let keys): return keys.count
            case .string(let keys): return keys.count
            }
        }

        /// The keys as text.
        public var strings: [String] {
            switch self {
            case .int64(let keys): return keys.map { "\($0)" }
            case .string(let keys): return keys
            }
        }
    }

    /// The keys of every map, in order.
    public var keys: Keys
    /// The values, row by row.
    public var values: [Float]

    /// The number of maps (rows).
    public var count: Int { self.keys.count == 0 ? 0 : self.values.count / self.keys.count }
}
