/// `ArgMax` and `ArgMin` along one axis, giving int64 indices.
struct ArgExtremumKernel: Kernel {
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

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let values: [Double]
        switch input.storage {
        case .float, .double, .int32, .int64: values = input.doubleValues ?? []
        default: throw ReferenceError(.unsupportedType, "ArgMax/ArgMin of \(input.elementType) is not supported")
        }
        let axis = try normalizedAxis(self.axis, rank: input.shape.count)
        guard !input.shape.isEmpty else { return [.tensor(Tensor(checkedShape: [], .int64([0])))] }
        let outer = input.shape[..<axis].reduce(1, *)
        let length = input.shape[axis]
        guard length > 0 else { throw ReferenceError(.executionFailed, "ArgMax/ArgMin over an empty axis") }
        let inner = input.shape[(axis + 1)...].reduce(1, *)
        var result = [Int64](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var best = 0
                for k in 1..<Swift.max(length, 1) {
                    let candidate = values[base + k * inner]
                    let current = values[base + best * inner]
                    let better = self.maximum ? candidate > current : candidate < current
                    if better || (self.lastIndex && candidate == current) { best = k }
                }
                result[o * inner + i] = Int64(best)
            }
        }
        var shape = input.shape
        if self.keepDimensions { shape[axis] = 1 } else { shape.remove(at: axis) }
        return [.tensor(Tensor(checkedShape: shape, .int64(result)))]
    }
}
