/// Operators that only rearrange or describe a tensor's shape: `Reshape`, `Flatten`, `Transpose`,
/// `Squeeze`, `Unsqueeze`, `Shape`, `Expand`, `Size`.
struct ShapeKernel: SingleOutputKernel {
    enum Operation: String, CaseIterable, Sendable {
        case reshape = "Reshape"
        case flatten = "Flatten"
        case transpose = "Transpose"
        case squeeze = "Squeeze"
        case unsqueeze = "Unsqueeze"
        case shape = "Shape"
        case expand = "Expand"
        case size = "Size"

        var since: Int {
            switch self {
            case .reshape: return 5
            case .expand: return 8
            default: return 1
            }
        }
    }

    let operation: Operation
    let axis: Int
    let attributeAxes: [Int]?
    let axesFromInput: Bool
    let allowZero: Bool
    let start: Int
    let end: Int?

    init(_ operation: Operation, _ context: KernelContext) throws(ReferenceError) {
        self.operation = operation
        self.axis = Int(try context.int("axis", default: 1))
        let axesName = operation == .transpose ? "perm" : "axes"
        self.attributeAxes = try context.ints(axesName)?.map { Int(truncatingIfNeeded: $0) }
        self.axesFromInput = (operation == .squeeze || operation == .unsqueeze) && context.opset >= 13
        self.allowZero = try context.int("allowzero", default: 0) != 0
        self.start = Int(try context.int("start", default: 0))
        self.end = context.attribute("end") == nil ? nil : Int(try context.int("end", default: 0))
    }

    func value(_ inputs: [Value?], buffers: inout BufferPool) throws(ReferenceError) -> Value {
        let input = try inputs.tensor(0)
        let shape = input.shape
        let rank = shape.count
        switch self.operation {
        case .shape:
            func clamp(_ value: Int) -> Int { Swift.min(Swift.max(value < 0 ? value + rank : value, 0), rank) }
            let from = clamp(self.start)
            let to = clamp(self.end ?? rank)
            let dims = from < to ? shape[from..<to].map { Int64($0) } : []
            return .tensor(Tensor(checkedShape: [dims.count], .int64(dims)))
        case .size:
            return .tensor(Tensor(checkedShape: [], .int64([Int64(input.count)])))
        case .flatten:
            let axis = self.axis < 0 ? self.axis + rank : self.axis
            guard axis >= 0, axis <= rank else { throw ReferenceError(.executionFailed, "Flatten axis \(self.axis) out of range") }
            return .tensor(Tensor(checkedShape: [shape[..<axis].reduce(1, *), shape[axis...].reduce(1, *)], input.storage))
        case .reshape:
            let requested = try inputs.tensor(1).integers()
            var result = buffers.shape(copying: EmptyCollection())
            var inferred: Int?
            for (index, dimension) in requested.enumerated() {
                if dimension == 0 && !self.allowZero {
                    guard index < rank else { throw ReferenceError(.executionFailed, "Reshape copies dimension \(index) of rank \(rank)") }
                    result.append(shape[index])
                } else if dimension == -1 {
                    guard inferred == nil else { throw ReferenceError(.executionFailed, "Reshape has two -1 dimensions") }
                    inferred = index
                    result.append(1)
                } else {
                    guard dimension >= 0 else { throw ReferenceError(.executionFailed, "Reshape dimension \(dimension)") }
                    result.append(dimension)
                }
            }
            if let inferred {
                guard let known = Tensor.elementCount(result), known > 0, input.count % known == 0 else {
                    throw ReferenceError(.executionFailed, "cannot reshape \(shape) to \(requested)")
                }
                result[inferred] = input.count / known
            }
            guard Tensor.elementCount(result) == input.count else {
                throw ReferenceError(.executionFailed, "cannot reshape \(shape) to \(requested)")
            }
            return .tensor(Tensor(checkedShape: result, input.storage))
        case .transpose:
            let permutation = self.attributeAxes ?? Array((0..<rank).reversed())
            guard permutation.count == rank, Set(permutation) == Set(0..<rank) else {
                throw ReferenceError(.executionFailed, "Transpose perm \(permutation) does not fit rank \(rank)")
            }
            let outShape = permutation.map { shape[$0] }
            var strides = [Int](repeating: 1, count: rank)
            for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
            let permutedStrides = permutation.map { strides[$0] }
            var indices: [Int] = []
            indices.reserveCapacity(input.count)
            var counter = [Int](repeating: 0, count: rank)
            for _ in 0..<input.count {
                var offset = 0
                for axis in 0..<rank { offset += counter[axis] * permutedStrides[axis] }
                indices.append(offset)
                var axis = rank - 1
                while axis >= 0 {
                    counter[axis] += 1
                    if counter[axis] < outShape[axis] { break }
                    counter[axis] = 0
                    axis -= 1
                }
            }
            return .tensor(Tensor(checkedShape: outShape, input.storage.gathering(indices)))
        case .squeeze:
            let axes = self.axesFromInput ? try inputs.optionalTensor(1)?.integers() : self.attributeAxes
            var removed = Set<Int>()
            if let axes {
                for axis in axes {
                    let normalized = try normalizedAxis(axis, rank: rank)
                    guard shape[normalized] == 1 else {
                        throw ReferenceError(.executionFailed, "Squeeze axis \(axis) has size \(shape[normalized])")
                    }
                    removed.insert(normalized)
                }
            } else {
                removed = Set(shape.indices.filter { shape[$0] == 1 })
            }
            return .tensor(Tensor(checkedShape: shape.indices.filter { !removed.contains($0) }.map { shape[$0] }, input.storage))
        case .unsqueeze:
            guard let axes = self.axesFromInput ? try inputs.optionalTensor(1)?.integers() : self.attributeAxes else {
                throw ReferenceError(.executionFailed, "Unsqueeze needs axes")
            }
            let outRank = rank + axes.count
            var inserted = Set<Int>()
            for axis in axes {
                let normalized = try normalizedAxis(axis, rank: outRank)
                guard inserted.insert(normalized).inserted else {
                    throw ReferenceError(.executionFailed, "Unsqueeze axis \(axis) repeated")
                }
            }
            var result = buffers.shape(copying: EmptyCollection())
            var next = 0
            for axis in 0..<outRank {
                if inserted.contains(axis) {
                    result.append(1)
                } else {
                    result.append(shape[next])
                    next += 1
                }
            }
            return .tensor(Tensor(checkedShape: result, input.storage))
        case .expand:
            let requested = try inputs.tensor(1).integers()
            let target = try Broadcasting.shape(shape, requested)
            return .tensor(Tensor(checkedShape: target, input.storage.gathering(Broadcasting.indices(of: shape, in: target))))
        }
    }
}
