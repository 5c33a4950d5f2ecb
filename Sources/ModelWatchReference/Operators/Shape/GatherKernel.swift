/// `Gather`: takes slices along an axis at the given (possibly negative) indices.
struct GatherKernel: Kernel {
    let axis: Int

    init(_ context: KernelContext) throws(ReferenceError) {
        self.axis = Int(try context.int("axis", default: 0))
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let data = try inputs.tensor(0)
        let indicesTensor = try inputs.tensor(1)
        let positions = try indicesTensor.integers()
        let axis = try normalizedAxis(self.axis, rank: data.shape.count)
        let length = data.shape[axis]
        let outer = data.shape[..<axis].reduce(1, *)
        let inner = data.shape[(axis + 1)...].reduce(1, *)
        var resolved: [Int] = []
        for position in positions {
            let index = position < 0 ? position + length : position
            guard index >= 0, index < length else {
                throw ReferenceError(.executionFailed, "Gather index \(position) out of range 0..<\(length)")
            }
            resolved.append(index)
        }
        var indices: [Int] = []
        indices.reserveCapacity(outer * resolved.count * inner)
        for o in 0..<outer {
            for index in resolved {
                let base = (o * length + index) * inner
                for j in 0..<inner { indices.append(base + j) }
            }
        }
        let shape = Array(data.shape[..<axis]) + indicesTensor.shape + Array(data.shape[(axis + 1)...])
        return [.tensor(Tensor(checkedShape: shape, data.storage.gathering(indices)))]
    }
}
