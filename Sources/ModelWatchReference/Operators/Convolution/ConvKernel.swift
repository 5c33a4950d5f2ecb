/// `Conv`: N-dimensional grouped convolution with strides, dilations and padding, plus bias.
struct ConvKernel: Kernel {
    let geometry: WindowGeometry
    let groups: Int

    init(_ context: KernelContext) throws(ReferenceError) {
        self.geometry = try WindowGeometry(context)
        self.groups = Int(try context.int("group", default: 1))
        guard self.groups > 0 else { throw ReferenceError(.invalidGraph, "Conv group must be positive") }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let x = try inputs.tensor(0)
        let w = try inputs.tensor(1)
        let bias = try inputs.optionalTensor(2)
        switch (x.storage, w.storage) {
        case (.float(let xv), .float(let wv)):
            let b = try bias?.floats()
            let (values, shape) = try self.convolve(xv, x.shape, wv, w.shape, b)
            return [.tensor(Tensor(checkedShape: shape, .float(values)))]
        case (.double(let xv), .double(let wv)):
            let b = bias?.doubleValues
            let (values, shape) = try self.convolve(xv, x.shape, wv, w.shape, b)
            return [.tensor(Tensor(checkedShape: shape, .double(values)))]
        default: throw ReferenceError(.unsupportedType, "Conv of \(x.elementType) is not supported")
        }
    }

    private func convolve<T: RealElement>(
        _ x: [T], _ xShape: [Int], _ w: [T], _ wShape: [Int], _ bias: [T]?
    ) throws(ReferenceError) -> ([T], [Int]) {
        guard xShape.count >= 3, wShape.count == xShape.count else {
            throw ReferenceError(.executionFailed, "Conv shapes \(xShape) and \(wShape)")
        }
        let (batch, channels, filters) = (xShape[0], xShape[1], wShape[0])
        let groupChannels = wShape[1]
        guard channels == groupChannels * self.groups, filters % self.groups == 0 else {
            throw ReferenceError(.executionFailed, "Conv channels \(channels) do not fit W \(wShape) in \(self.groups) groups")
        }
        guard bias == nil || bias?.count == filters else {
            throw ReferenceError(.executionFailed, "Conv bias must have \(filters) elements")
        }
        let window = try self.geometry.resolve(input: Array(xShape[2...]), kernel: Array(wShape[2...]))
        guard window.kernel == Array(wShape[2...]) else { throw ReferenceError(.executionFailed, "kernel_shape differs from W") }
        let offsets = window.kernelOffsets
        let inputSize = window.input.reduce(1, *)
        let outputSize = window.output.reduce(1, *)
        let kernelSize = offsets.count
        let filtersPerGroup = filters / self.groups
        var result = [T](repeating: 0, count: batch * filters * outputSize)
        var taps = [Int?](repeating: nil, count: kernelSize)
        window.forEachOutput { flat, origin in
            for k in 0..<kernelSize { taps[k] = window.inputIndex(origin, offsets[k]) }
            for n in 0..<batch {
                for f in 0..<filters {
                    let group = f / filtersPerGroup
                    var sum: T = bias?[f] ?? 0
                    for c in 0..<groupChannels {
                        let inputBase = (n * channels + group * groupChannels + c) * inputSize
                        let weightBase = (f * groupChannels + c) * kernelSize
                        for k in 0..<kernelSize {
                            if let tap = taps[k] { sum += x[inputBase + tap] * w[weightBase + k] }
                        }
                    }
                    result[(n * filters + f) * outputSize + flat] = sum
                }
            }
        }
        return (result, [batch, filters] + window.output)
    }
}
