/// `Tile`: repeats a tensor along each axis as many times as `repeats` says.
struct TileKernel: Kernel {
    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let repeats = try inputs.tensor(1).integers()
        let rank = input.shape.count
        guard repeats.count == rank, repeats.allSatisfy({ $0 >= 0 }) else {
            throw ReferenceError(.executionFailed, "Tile repeats \(repeats) do not fit rank \(rank)")
        }
        let shape = zip(input.shape, repeats).map { $0 * $1 }
        guard let count = Tensor.elementCount(shape), count <= Broadcasting.maximumElements else {
            throw ReferenceError(.executionFailed, "Tile result \(shape) is too large")
        }
        var strides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * input.shape[axis + 1] }
        var indices: [Int] = []
        indices.reserveCapacity(count)
        var counter = [Int](repeating: 0, count: rank)
        for _ in 0..<count {
            var offset = 0
            for axis in 0..<rank { offset += (counter[axis] % input.shape[axis]) * strides[axis] }
            indices.append(offset)
            var axis = rank - 1
            while axis >= 0 {
                counter[axis] += 1
                if counter[axis] < shape[axis] { break }
                counter[axis] = 0
                axis -= 1
            }
        }
        return [.tensor(Tensor(checkedShape: shape, input.storage.gathering(indices)))]
    }
}
