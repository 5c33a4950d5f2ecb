/// `MaxPool`, `AveragePool`, `GlobalAveragePool` and `GlobalMaxPool` over the spatial axes.
struct PoolKernel: Kernel {
    enum Kind: String, CaseIterable, Sendable {
        case max = "MaxPool"
        case average = "AveragePool"
        case globalAverage = "GlobalAveragePool"
        case globalMax = "GlobalMaxPool"
    }

    let kind: Kind
    let geometry: WindowGeometry
    let countIncludesPadding: Bool

    init(_ kind: Kind, _ context: KernelContext) throws(ReferenceError) {
        self.kind = kind
        self.geometry = try WindowGeometry(context)
        self.countIncludesPadding = try context.int("count_include_pad", default: 0) != 0
        if kind == .max {
            try context.refuse("storage_order=1", unless: try context.int("storage_order", default: 0) == 0)
            try context.refuse("Indices output", unless: context.node.outputs.count < 2 || context.node.outputs[1].isEmpty)
        }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let x = try inputs.tensor(0)
        switch x.storage {
        case .float(let values):
            let (result, shape) = try self.pool(values, x.shape)
            return [.tensor(Tensor(checkedShape: shape, .float(result)))]
        case .double(let values):
            let (result, shape) = try self.pool(values, x.shape)
            return [.tensor(Tensor(checkedShape: shape, .double(result)))]
        default: throw ReferenceError(.unsupportedType, "\(self.kind.rawValue) of \(x.elementType) is not supported")
        }
    }

    private func pool<T: RealElement>(_ x: [T], _ shape: [Int]) throws(ReferenceError) -> ([T], [Int]) {
        guard shape.count >= 3 else { throw ReferenceError(.executionFailed, "\(self.kind.rawValue) needs rank ≥ 3, got \(shape)") }
        let planes = shape[0] * shape[1]
        let spatial = Array(shape[2...])
        let inputSize = spatial.reduce(1, *)
        if self.kind == .globalAverage || self.kind == .globalMax {
            var result = [T](repeating: 0, count: planes)
            for plane in 0..<planes {
                let slice = x[(plane * inputSize)..<((plane + 1) * inputSize)]
                if self.kind == .globalMax {
                    result[plane] = slice.contains { $0.isNaN } ? T.nan : (slice.max() ?? 0)
                } else {
                    result[plane] = slice.reduce(0, +) / T(Swift.max(inputSize, 1))
                }
            }
            return (result, [shape[0], shape[1]] + [Int](repeating: 1, count: spatial.count))
        }
        let window = try self.geometry.resolve(input: spatial, kernel: nil)
        let offsets = window.kernelOffsets
        let outputSize = window.output.reduce(1, *)
        var result = [T](repeating: 0, count: planes * outputSize)
        var taps = [Int?](repeating: nil, count: offsets.count)
        // Average pooling with padding counted divides by the window clipped to the padded input.
        let padEnd = (0..<spatial.count).map { axis in (self.geometry.pads?[axis + spatial.count]) ?? 0 }
        window.forEachOutput { flat, origin in
            for k in 0..<offsets.count { taps[k] = window.inputIndex(origin, offsets[k]) }
            var paddedCount = 1
            if self.kind == .average && self.countIncludesPadding {
                for axis in 0..<spatial.count {
                    let upper = spatial[axis] + padEnd[axis]
                    var inside = 0
                    for k in 0..<window.kernel[axis] {
                        let position = origin[axis] + k * window.dilations[axis]
                        if position >= -window.padBegin[axis] && position < upper { inside += 1 }
                    }
                    paddedCount *= inside
                }
            }
            for plane in 0..<planes {
                let base = plane * inputSize
                if self.kind == .max {
                    var best = -T.infinity
                    for case let tap? in taps {
                        let value = x[base + tap]
                        if value > best || value.isNaN { best = value }
                    }
                    result[plane * outputSize + flat] = best
                } else {
                    var sum: T = 0
                    var count = 0
                    for case let tap? in taps {
                        sum += x[base + tap]
                        count += 1
                    }
                    let divisor = self.countIncludesPadding ? paddedCount : count
                    result[plane * outputSize + flat] = divisor > 0 ? sum / T(divisor) : 0
                }
            }
        }
        return (result, [shape[0], shape[1]] + window.output)
    }
}
