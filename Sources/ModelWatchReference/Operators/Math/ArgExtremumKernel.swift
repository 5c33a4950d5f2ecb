/// `ArgMax` and `ArgMin` along one axis, giving int64 indices.
struct ArgExtremumKernel: BufferedKernel {
    let axis: Int
    let keepDimensions: Bool
    let lastIndex: Bool
    let maximum: Bool

    init(_ context: KernelContext, maximum: Bool) throws(ReferenceError) {
        self.axis = Int(try context.int("axis", default: 0))
        self.keepDimensions = try context.int("keepdims", default: 1) != 0
        self.lastIndex = try context.int("select_last_index", default: 0) != 0
        self.maximum = maximum
    }

    func run(_ inputs: [Value?], into outputs: inout [Value], buffers: inout BufferPool) throws(ReferenceError) {
        let input = try inputs.tensor(0)
        switch input.storage {
        case .float, .double, .int32, .int64: break
        default: throw ReferenceError(.unsupportedType, "ArgMax/ArgMin of \(input.elementType) is not supported")
        }
        let axis = try normalizedAxis(self.axis, rank: input.shape.count)
        let outer = input.shape[..<axis].reduce(1, *)
        let length = input.shape[axis]
        guard length > 0 else { throw ReferenceError(.executionFailed, "ArgMax/ArgMin over an empty axis") }
        let inner = input.shape[(axis + 1)...].reduce(1, *)
        var result = buffers.array(outer * inner, filledWith: Int64(0))
        switch input.storage {
        case .float(let values): self.search(values, outer, length, inner, into: &result)
        case .double(let values): self.search(values, outer, length, inner, into: &result)
        case .int32(let values): self.search(values, outer, length, inner, into: &result)
        case .int64(let values): self.search(values, outer, length, inner, into: &result)
        default: break
        }
        var shape = buffers.shape(copying: input.shape)
        if self.keepDimensions { shape[axis] = 1 } else { shape.remove(at: axis) }
        outputs.append(.tensor(Tensor(checkedShape: shape, .int64(result))))
    }

    /// The index of the extreme element along the axis, for every outer and inner position.
    private func search<T: Comparable>(_ values: [T], _ outer: Int, _ length: Int, _ inner: Int, into result: inout [Int64]) {
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var best = 0
                for k in 1..<length {
                    let candidate = values[base + k * inner]
                    let current = values[base + best * inner]
                    let better = self.maximum ? candidate > current : candidate < current
                    if better || (self.lastIndex && candidate == current) { best = k }
                }
                result[o * inner + i] = Int64(best)
            }
        }
    }
}
