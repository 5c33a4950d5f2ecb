/// `Slice` (opset 10+): starts, ends, axes and steps as inputs, clamped as numpy does.
struct SliceKernel: Kernel {
    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let data = try inputs.tensor(0)
        let starts = try inputs.tensor(1).integers()
        let ends = try inputs.tensor(2).integers()
        let rank = data.shape.count
        let axes = try inputs.optionalTensor(3)?.integers() ?? Array(0..<starts.count)
        let steps = try inputs.optionalTensor(4)?.integers() ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw ReferenceError(.executionFailed, "Slice starts, ends, axes and steps differ in length")
        }
        var begin = [Int](repeating: 0, count: rank)
        var step = [Int](repeating: 1, count: rank)
        var size = data.shape
        for index in 0..<starts.count {
            let axis = try normalizedAxis(axes[index], rank: rank)
            let dimension = data.shape[axis]
            let stride = steps[index]
            guard stride != 0 else { throw ReferenceError(.executionFailed, "Slice step 0") }
            var start = starts[index] < 0 ? starts[index] + dimension : starts[index]
            var end = ends[index] < 0 ? ends[index] + dimension : ends[index]
            if stride > 0 {
                start = Swift.min(Swift.max(start, 0), dimension)
                end = Swift.min(Swift.max(end, 0), dimension)
                size[axis] = end > start ? (end - start + stride - 1) / stride : 0
            } else {
                start = Swift.min(Swift.max(start, -1), dimension - 1)
                end = Swift.min(Swift.max(end, -1), dimension - 1)
                size[axis] = start > end ? (start - end - stride - 1) / -stride : 0
            }
            begin[axis] = start
            step[axis] = stride
        }
        var strides = [Int](repeating: 1, count: rank)
        for axis in Swift.stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * data.shape[axis + 1] }
        let count = size.reduce(1, *)
        var indices: [Int] = []
        indices.reserveCapacity(count)
        var counter = [Int](repeating: 0, count: rank)
        for _ in 0..<count {
            var offset = 0
            for axis in 0..<rank { offset += (begin[axis] + counter[axis] * step[axis]) * strides[axis] }
            indices.append(offset)
            var axis = rank - 1
            while axis >= 0 {
                counter[axis] += 1
                if counter[axis] < size[axis] { break }
                counter[axis] = 0
                axis -= 1
            }
        }
        return [.tensor(Tensor(checkedShape: size, data.storage.gathering(indices)))]
    }
}
