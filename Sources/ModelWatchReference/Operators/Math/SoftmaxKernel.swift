/// `Softmax` and `LogSoftmax`: over one axis since opset 13, over the input flattened to 2-D at `axis` before.
struct SoftmaxKernel: BufferedKernel {
    let axis: Int
    let flattens: Bool
    let logarithmic: Bool

    init(_ context: KernelContext, logarithmic: Bool) throws(ReferenceError) {
        self.flattens = context.opset < 13
        self.axis = Int(try context.int("axis", default: self.flattens ? 1 : -1))
        self.logarithmic = logarithmic
    }

    func run(_ inputs: [Value?], into outputs: inout [Value], buffers: inout BufferPool) throws(ReferenceError) {
        let input = try inputs.tensor(0)
        let rank = input.shape.count
        let axis = try normalizedAxis(self.axis, rank: rank)
        let (outer, length, inner): (Int, Int, Int)
        if rank == 0 {
            (outer, length, inner) = (1, 1, 1)
        } else if self.flattens {
            (outer, length, inner) = (input.shape[..<axis].reduce(1, *), input.shape[axis...].reduce(1, *), 1)
        } else {
            (outer, length, inner) = (input.shape[..<axis].reduce(1, *), input.shape[axis], input.shape[(axis + 1)...].reduce(1, *))
        }
        let storage: Tensor.Storage
        switch input.storage {
        case .float(let values): storage = .float(self.apply(values, outer, length, inner, buffers: &buffers))
        case .double(let values): storage = .double(self.apply(values, outer, length, inner, buffers: &buffers))
        default: throw ReferenceError(.unsupportedType, "Softmax of \(input.elementType) is not supported")
        }
        outputs.append(.tensor(Tensor(checkedShape: input.shape, storage)))
    }

    private func apply<T: RealElement>(_ values: [T], _ outer: Int, _ length: Int, _ inner: Int, buffers: inout BufferPool) -> [T] {
        var result = buffers.array(values.count, filledWith: T(0))
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var maximum = -T.infinity
                for k in 0..<length { maximum = Swift.max(maximum, values[base + k * inner]) }
                var sum: T = 0
                for k in 0..<length {
                    let e = T.exponential(values[base + k * inner] - maximum)
                    result[base + k * inner] = e
                    sum += e
                }
                if self.logarithmic {
                    let logSum = T.logarithm(sum)
                    for k in 0..<length { result[base + k * inner] = values[base + k * inner] - maximum - logSum }
                } else {
                    for k in 0..<length { result[base + k * inner] /= sum }
                }
            }
        }
        return result
    }
}
