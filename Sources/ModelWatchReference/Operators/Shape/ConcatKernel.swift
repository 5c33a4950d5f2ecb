/// `Concat` along one axis.
struct ConcatKernel: Kernel {
    let axis: Int

    init(_ context: KernelContext) throws(ReferenceError) {
        guard case .int(let axis) = context.attribute("axis") else { throw ReferenceError(.invalidGraph, "Concat needs an axis") }
        self.axis = Int(truncatingIfNeeded: axis)
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let tensors = try (0..<inputs.count).map { index throws(ReferenceError) in try inputs.tensor(index) }
        guard let first = tensors.first else { throw ReferenceError(.executionFailed, "Concat of nothing") }
        let rank = first.shape.count
        let axis = try normalizedAxis(self.axis, rank: rank)
        for tensor in tensors {
            guard tensor.shape.count == rank,
                tensor.shape.enumerated().allSatisfy({ $0.offset == axis || $0.element == first.shape[$0.offset] })
            else { throw ReferenceError(.executionFailed, "Concat shapes \(tensors.map(\.shape)) do not fit on axis \(axis)") }
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        var offsets: [Int] = []
        var total = 0
        for tensor in tensors {
            offsets.append(total)
            total += tensor.count
        }
        var indices: [Int] = []
        indices.reserveCapacity(total)
        for o in 0..<outer {
            for (position, tensor) in tensors.enumerated() {
                let block = tensor.shape[axis] * inner
                let base = offsets[position] + o * block
                for j in 0..<block { indices.append(base + j) }
            }
        }
        var shape = first.shape
        shape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let all = try Tensor.Storage.concatenating(tensors.map(\.storage))
        return [.tensor(Tensor(checkedShape: shape, all.gathering(indices)))]
    }
}
