/// `Pad` in constant, edge and reflect modes; pads as an attribute before opset 11, inputs since
/// (with `axes` since opset 18).
struct PadKernel: Kernel {
    enum Mode: String, Sendable {
        case constant, edge, reflect
    }

    let mode: Mode
    let attributePads: [Int]?
    let attributeValue: Float
    let padsFromInput: Bool

    init(_ context: KernelContext) throws(ReferenceError) {
        let name = try context.string("mode", default: "constant")
        guard let mode = Mode(rawValue: name) else { throw ReferenceError(.unsupportedOperator, "Pad mode '\(name)' is not supported") }
        self.mode = mode
        self.padsFromInput = context.opset >= 11
        self.attributePads = try context.ints("pads")?.map { Int(truncatingIfNeeded: $0) }
        self.attributeValue = try context.float("value", default: 0)
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let rank = input.shape.count
        guard var given = self.padsFromInput ? try inputs.tensor(1).integers() : self.attributePads else {
            throw ReferenceError(.executionFailed, "Pad needs pads")
        }
        let fill = self.padsFromInput ? try inputs.optionalTensor(2) : nil
        if let axesTensor = try inputs.optionalTensor(3) {
            let axes = try axesTensor.integers().map { axis throws(ReferenceError) in try normalizedAxis(axis, rank: rank) }
            guard given.count == 2 * axes.count else { throw ReferenceError(.executionFailed, "Pad pads do not fit axes") }
            var full = [Int](repeating: 0, count: 2 * rank)
            for (position, axis) in axes.enumerated() {
                full[axis] = given[position]
                full[axis + rank] = given[position + axes.count]
            }
            given = full
        }
        guard given.count == 2 * rank else { throw ReferenceError(.executionFailed, "Pad has \(given.count) pads for rank \(rank)") }
        let shape = (0..<rank).map { input.shape[$0] + given[$0] + given[$0 + rank] }
        guard shape.allSatisfy({ $0 >= 0 }), let count = Tensor.elementCount(shape), count <= Broadcasting.maximumElements else {
            throw ReferenceError(.executionFailed, "Pad result \(shape) is invalid")
        }
        if self.mode != .constant, input.count == 0 {
            throw ReferenceError(.executionFailed, "Pad \(self.mode.rawValue) of an empty tensor")
        }
        var strides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * input.shape[axis + 1] }
        // Index input.count means "the constant".
        var indices: [Int] = []
        indices.reserveCapacity(count)
        var counter = [Int](repeating: 0, count: rank)
        for _ in 0..<count {
            var offset = 0
            var outside = false
            for axis in 0..<rank {
                var position = counter[axis] - given[axis]
                let size = input.shape[axis]
                if position < 0 || position >= size {
                    switch self.mode {
                    case .constant: outside = true
                    case .edge: position = Swift.min(Swift.max(position, 0), size - 1)
                    case .reflect:
                        if size == 1 {
                            position = 0
                        } else {
                            let period = 2 * (size - 1)
                            var p = position % period
                            if p < 0 { p += period }
                            position = p < size ? p : period - p
                        }
                    }
                }
                offset += position * strides[axis]
            }
            indices.append(outside ? input.count : offset)
            var axis = rank - 1
            while axis >= 0 {
                counter[axis] += 1
                if counter[axis] < shape[axis] { break }
                counter[axis] = 0
                axis -= 1
            }
        }
        let constant: Tensor.Storage
        if let fill, fill.count > 0 {
            constant = try CastKernel.convert(fill.storage, to: input.elementType).gathering([0])
        } else {
            constant = try CastKernel.convert(.float([self.attributeValue]), to: input.elementType == .string ? .float : input.elementType)
        }
        let source = try Tensor.Storage.concatenating([input.storage, constant])
        return [.tensor(Tensor(checkedShape: shape, source.gathering(indices)))]
    }
}
