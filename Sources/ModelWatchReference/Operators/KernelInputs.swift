extension Array where Element == Value? {
    /// The tensor at `index`, or an error naming the missing input.
    func tensor(_ index: Int) throws(ReferenceError) -> Tensor {
        guard index < self.count, let value = self[index] else {
            throw ReferenceError(.executionFailed, "input \(index) is missing")
        }
        guard case .tensor(let tensor) = value else { throw ReferenceError(.unsupportedType, "input \(index) must be a tensor") }
        return tensor
    }

    /// The tensor at `index` when given (optional inputs).
    func optionalTensor(_ index: Int) throws(ReferenceError) -> Tensor? {
        guard index < self.count, self[index] != nil else { return nil }
        return try self.tensor(index)
    }
}

extension Tensor {
    /// The integer elements (int32 or int64) as `Int`, for shape-like inputs (axes, shapes, indices).
    func integers() throws(ReferenceError) -> [Int] {
        switch self.storage {
        case .int64(let values): return values.map { Int(truncatingIfNeeded: $0) }
        case .int32(let values): return values.map { Int($0) }
        default: throw ReferenceError(.unsupportedType, "expected an integer tensor, got \(self.elementType)")
        }
    }

    /// The elements as floats (float tensors only, other types refused).
    func floats() throws(ReferenceError) -> [Float] {
        guard case .float(let values) = self.storage else {
            throw ReferenceError(.unsupportedType, "expected a float tensor, got \(self.elementType)")
        }
        return values
    }

    /// The elements converted to Float from any numeric type (for ML operators that accept several).
    func floatsConverting() throws(ReferenceError) -> [Float] {
        switch self.storage {
        case .float(let values): return values
        case .double(let values): return values.map { Float($0) }
        case .int32(let values): return values.map { Float($0) }
        case .int64(let values): return values.map { Float($0) }
        case .bool(let values): return values.map { $0 ? 1 : 0 }
        case .string: throw ReferenceError(.unsupportedType, "expected a numeric tensor, got string")
        }
    }

    /// Rows and columns of a tensor read as a matrix [N, C] (a vector is one row; rank > 2 flattens the tail).
    var matrixShape: (rows: Int, columns: Int) {
        switch self.shape.count {
        case 0: return (1, 1)
        case 1: return (1, self.shape[0])
        default: return (self.shape[0], self.shape.dropFirst().reduce(1, *))
        }
    }
}

/// Normalizes a possibly negative axis against a rank.
func normalizedAxis(_ axis: Int, rank: Int) throws(ReferenceError) -> Int {
    let value = axis < 0 ? axis + rank : axis
    guard value >= 0, value < rank else { throw ReferenceError(.executionFailed, "axis \(axis) is out of range for rank \(rank)") }
    return value
}
