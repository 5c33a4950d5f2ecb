/// `LayerNormalization`: normalizes over the axes from `axis` to the last, then scales and shifts.
struct LayerNormalizationKernel: Kernel {
    let axis: Int
    let epsilon: Float

    init(_ context: KernelContext) throws(ReferenceError) {
        self.axis = Int(try context.int("axis", default: -1))
        self.epsilon = try context.float("epsilon", default: 1e-5)
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let x = try inputs.tensor(0)
        let scale = try inputs.tensor(1)
        let bias = try inputs.optionalTensor(2)
        let axis = try normalizedAxis(self.axis, rank: x.shape.count)
        let outer = x.shape[..<axis].reduce(1, *)
        let normalizedShape = Array(x.shape[axis...])
        let length = normalizedShape.reduce(1, *)
        var statisticsShape = x.shape
        for index in axis..<statisticsShape.count { statisticsShape[index] = 1 }
        switch x.storage {
        case .float(let values):
            let s = try Broadcasting.expand(try scale.floats(), scale.shape, to: normalizedShape)
            let b = try bias.map { t throws(ReferenceError) in try Broadcasting.expand(try t.floats(), t.shape, to: normalizedShape) }
            let (y, mean, inverse) = Self.normalize(values, s, b, outer, length, self.epsilon)
            return [
                .tensor(Tensor(checkedShape: x.shape, .float(y))), .tensor(Tensor(checkedShape: statisticsShape, .float(mean))),
                .tensor(Tensor(checkedShape: statisticsShape, .float(inverse))),
            ]
        case .double(let values):
            let s = try Broadcasting.expand(scale.doubleValues ?? [], scale.shape, to: normalizedShape)
            let b = try bias.map { t throws(ReferenceError) in try Broadcasting.expand(t.doubleValues ?? [], t.shape, to: normalizedShape) }
            let (y, mean, inverse) = Self.normalize(
                values.map { Float($0) }, s.map { Float($0) }, b?.map { Float($0) }, outer, length, self.epsilon)
            return [
                .tensor(Tensor(checkedShape: x.shape, .double(y.map(Double.init)))),
                .tensor(Tensor(checkedShape: statisticsShape, .float(mean))),
                .tensor(Tensor(checkedShape: statisticsShape, .float(inverse))),
            ]
        default: throw ReferenceError(.unsupportedType, "LayerNormalization of \(x.elementType) is not supported")
        }
    }

    private static func normalize(_ x: [Float], _ scale: [Float], _ bias: [Float]?, _ outer: Int, _ length: Int, _ epsilon: Float) -> (
        [Float], [Float], [Float]
    ) {
        var y = x
        var means = [Float](repeating: 0, count: outer)
        var inverses = [Float](repeating: 0, count: outer)
        for row in 0..<outer {
            let base = row * length
            var sum: Float = 0
            for j in 0..<length { sum += x[base + j] }
            let mean = sum / Float(length)
            var squares: Float = 0
            for j in 0..<length { squares += (x[base + j] - mean) * (x[base + j] - mean) }
            let inverse = 1 / (squares / Float(length) + epsilon).squareRoot()
            for j in 0..<length { y[base + j] = (x[base + j] - mean) * inverse * scale[j] + (bias?[j] ?? 0) }
            means[row] = mean
            inverses[row] = inverse
        }
        return (y, means, inverses)
    }
}
