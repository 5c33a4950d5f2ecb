/// `Split`: cuts a tensor along an axis into parts given by `split` (an attribute before opset 13,
/// an input since), or into equal parts (`num_outputs` since opset 18; the last may be smaller).
struct SplitKernel: Kernel {
    let axis: Int
    let attributeSplit: [Int]?
    let splitFromInput: Bool
    let outputs: Int

    init(_ context: KernelContext) throws(ReferenceError) {
        self.axis = Int(try context.int("axis", default: 0))
        self.attributeSplit = try context.ints("split")?.map { Int(truncatingIfNeeded: $0) }
        self.splitFromInput = context.opset >= 13
        self.outputs = context.node.outputs.count
        guard self.outputs > 0 else { throw ReferenceError(.invalidGraph, "Split has no outputs") }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let axis = try normalizedAxis(self.axis, rank: input.shape.count)
        let length = input.shape[axis]
        var sizes = self.splitFromInput ? try inputs.optionalTensor(1)?.integers() : self.attributeSplit
        if sizes == nil {
            let chunk = (length + self.outputs - 1) / self.outputs
            sizes = (0..<self.outputs).map { index in Swift.max(0, Swift.min(chunk, length - index * chunk)) }
        }
        guard let sizes, sizes.count == self.outputs, sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == length else {
            throw ReferenceError(.executionFailed, "Split sizes do not add up to \(length) in \(self.outputs) parts")
        }
        let outer = input.shape[..<axis].reduce(1, *)
        let inner = input.shape[(axis + 1)...].reduce(1, *)
        var results: [Value] = []
        var start = 0
        for size in sizes {
            var indices: [Int] = []
            indices.reserveCapacity(outer * size * inner)
            for o in 0..<outer {
                let base = (o * length + start) * inner
                for j in 0..<(size * inner) { indices.append(base + j) }
            }
            var shape = input.shape
            shape[axis] = size
            results.append(.tensor(Tensor(checkedShape: shape, input.storage.gathering(indices))))
            start += size
        }
        return results
    }
}
