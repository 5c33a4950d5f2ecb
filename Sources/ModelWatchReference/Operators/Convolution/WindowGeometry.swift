/// The sliding-window arithmetic `Conv` and the pooling operators share: output sizes and padding
/// from `kernel_shape`, `strides`, `dilations`, `pads`, `auto_pad` and `ceil_mode`.
struct WindowGeometry: Sendable {
    enum AutoPad: String, Sendable {
        case notSet = "NOTSET"
        case sameUpper = "SAME_UPPER"
        case sameLower = "SAME_LOWER"
        case valid = "VALID"
    }

    let kernelShape: [Int]?
    let strides: [Int]?
    let dilations: [Int]?
    let pads: [Int]?
    let autoPad: AutoPad
    let ceilMode: Bool

    init(_ context: KernelContext) throws(ReferenceError) {
        func list(_ name: String) throws(ReferenceError) -> [Int]? {
            try context.ints(name)?.map { Int(truncatingIfNeeded: $0) }
        }
        self.kernelShape = try list("kernel_shape")
        self.strides = try list("strides")
        self.dilations = try list("dilations")
        self.pads = try list("pads")
        let name = try context.string("auto_pad", default: "NOTSET")
        guard let autoPad = AutoPad(rawValue: name) else { throw ReferenceError(.invalidGraph, "unknown auto_pad '\(name)'") }
        self.autoPad = autoPad
        self.ceilMode = try context.int("ceil_mode", default: 0) != 0
    }

    /// A resolved window over given spatial input sizes.
    struct Resolved {
        let input: [Int]
        let kernel: [Int]
        let strides: [Int]
        let dilations: [Int]
        let padBegin: [Int]
        let output: [Int]
    }

    func resolve(input: [Int], kernel defaultKernel: [Int]?) throws(ReferenceError) -> Resolved {
        let rank = input.count
        guard let kernel = self.kernelShape ?? defaultKernel, kernel.count == rank else {
            throw ReferenceError(.executionFailed, "kernel_shape does not fit \(rank) spatial dimensions")
        }
        let strides = self.strides ?? [Int](repeating: 1, count: rank)
        let dilations = self.dilations ?? [Int](repeating: 1, count: rank)
        let pads = self.pads ?? [Int](repeating: 0, count: 2 * rank)
        guard strides.count == rank, dilations.count == rank, pads.count == 2 * rank,
            strides.allSatisfy({ $0 > 0 && $0 < 1 << 20 }), dilations.allSatisfy({ $0 > 0 && $0 < 1 << 20 }),
            kernel.allSatisfy({ $0 > 0 && $0 < 1 << 20 }), pads.allSatisfy({ $0 >= 0 && $0 < 1 << 20 })
        else { throw ReferenceError(.executionFailed, "strides, dilations, pads or kernel_shape are invalid") }
        var padBegin = [Int](repeating: 0, count: rank)
        var output = [Int](repeating: 0, count: rank)
        for axis in 0..<rank {
            let extent = (kernel[axis] - 1) * dilations[axis] + 1
            switch self.autoPad {
            case .sameUpper, .sameLower:
                let size = (input[axis] + strides[axis] - 1) / strides[axis]
                let total = Swift.max(0, (size - 1) * strides[axis] + extent - input[axis])
                padBegin[axis] = self.autoPad == .sameUpper ? total / 2 : total - total / 2
                output[axis] = size
            case .valid:
                output[axis] = input[axis] >= extent ? (input[axis] - extent) / strides[axis] + 1 : 0
            case .notSet:
                padBegin[axis] = pads[axis]
                let span = input[axis] + pads[axis] + pads[axis + rank] - extent
                guard span >= 0 else { throw ReferenceError(.executionFailed, "the window is larger than the padded input") }
                var size = (self.ceilMode ? (span + strides[axis] - 1) / strides[axis] : span / strides[axis]) + 1
                if self.ceilMode, (size - 1) * strides[axis] >= input[axis] + pads[axis] { size -= 1 }
                output[axis] = size
            }
        }
        guard let count = Tensor.elementCount(output), count <= Broadcasting.maximumElements else {
            throw ReferenceError(.executionFailed, "window output \(output) is too large")
        }
        return Resolved(input: input, kernel: kernel, strides: strides, dilations: dilations, padBegin: padBegin, output: output)
    }
}

extension WindowGeometry.Resolved {
    /// Calls `body` for every output position (flat index) with the start of its window per axis.
    func forEachOutput(_ body: (_ flat: Int, _ origin: [Int]) -> Void) {
        let rank = self.output.count
        let count = self.output.reduce(1, *)
        var counter = [Int](repeating: 0, count: rank)
        var origin = [Int](repeating: 0, count: rank)
        for flat in 0..<count {
            for axis in 0..<rank { origin[axis] = counter[axis] * self.strides[axis] - self.padBegin[axis] }
            body(flat, origin)
            var axis = rank - 1
            while axis >= 0 {
                counter[axis] += 1
                if counter[axis] < self.output[axis] { break }
                counter[axis] = 0
                axis -= 1
            }
        }
    }

    /// The kernel offsets (multi-index) in row-major order.
    var kernelOffsets: [[Int]] {
        var result: [[Int]] = [[]]
        for size in self.kernel {
            result = result.flatMap { prefix in (0..<size).map { prefix + [$0] } }
        }
        return result
    }

    /// The flat input index of `origin + offset · dilation`, or nil when it falls in the padding.
    func inputIndex(_ origin: [Int], _ offset: [Int]) -> Int? {
        var index = 0
        for axis in 0..<origin.count {
            let position = origin[axis] + offset[axis] * self.dilations[axis]
            if position < 0 || position >= self.input[axis] { return nil }
            index = index * self.input[axis] + position
        }
        return index
    }
}
