extension Tensor.Storage {
    /// A storage whose element `i` is this storage's element `indices[i]` (the indices are known in range).
    func gathering(_ indices: [Int]) -> Tensor.Storage {
        switch self {
        case .float(let values): return .float(indices.map { values[$0] })
        case .double(let values): return .double(indices.map { values[$0] })
        case .int32(let values): return .int32(indices.map { values[$0] })
        case .int64(let values): return .int64(indices.map { values[$0] })
        case .bool(let values): return .bool(indices.map { values[$0] })
        case .string(let values): return .string(indices.map { values[$0] })
        }
    }

    /// The storages' elements one after the other; all must have the same element type.
    static func concatenating(_ parts: [Tensor.Storage]) throws(ReferenceError) -> Tensor.Storage {
        guard let first = parts.first else { throw ReferenceError(.executionFailed, "nothing to concatenate") }
        guard parts.allSatisfy({ $0.elementType == first.elementType }) else {
            throw ReferenceError(.executionFailed, "inputs of different element types cannot be concatenated")
        }
        switch first {
        case .float: return .float(parts.flatMap { if case .float(let v) = $0 { return v } else { return [] } })
        case .double: return .double(parts.flatMap { if case .double(let v) = $0 { return v } else { return [] } })
        case .int32: return .int32(parts.flatMap { if case .int32(let v) = $0 { return v } else { return [] } })
        case .int64: return .int64(parts.flatMap { if case .int64(let v) = $0 { return v } else { return [] } })
        case .bool: return .bool(parts.flatMap { if case .bool(let v) = $0 { return v } else { return [] } })
        case .string: return .string(parts.flatMap { if case .string(let v) = $0 { return v } else { return [] } })
        }
    }

    /// `count` copies of one element type's zero-like value replaced by `fill` from a one-element storage.
    func repeatingFirst(_ count: Int) -> Tensor.Storage {
        self.gathering([Int](repeating: 0, count: count))
    }
}
