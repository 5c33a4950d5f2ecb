/// `BatchNormalization` in inference mode: per channel (axis 1), scale · (x − mean) / √(var + ε) + bias.
struct BatchNormalizationKernel: Kernel {
    let epsilon: Float

    init(_ context: KernelContext) throws(ReferenceError) {
        self.epsilon = try context.float("epsilon", default: 1e-5)
        try context.refuse("training_mode=1", unless: try context.int("training_mode", default: 0) == 0)
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let x = try inputs.tensor(0)
        let parameters = try (1...4).map { index throws(ReferenceError) in try inputs.tensor(index) }
        guard x.shape.count >= 2 else { throw ReferenceError(.executionFailed, "BatchNormalization needs rank ≥ 2") }
        let channels = x.shape[1]
        let inner = x.shape[2...].reduce(1, *)
        guard parameters.allSatisfy({ $0.count == channels }) else {
            throw ReferenceError(.executionFailed, "BatchNormalization parameters must have \(channels) elements")
        }
        switch x.storage {
        case .float(let values):
            let p = try parameters.map { t throws(ReferenceError) in try t.floatsConverting() }
            return [.tensor(Tensor(checkedShape: x.shape, .float(Self.normalize(values, p, channels, inner, Float(self.epsilon)))))]
        case .double(let values):
            let p = parameters.map { $0.doubleValues ?? [] }
            return [.tensor(Tensor(checkedShape: x.shape, .double(Self.normalize(values, p, channels, inner, Double(self.epsilon)))))]
        default: throw ReferenceError(.unsupportedType, "BatchNormalization of \(x.elementType) is not supported")
        }
    }

    private static func normalize<T: RealElement>(_ x: [T], _ p: [[T]], _ channels: Int, _ inner: Int, _ epsilon: T) -> [T] {
        var result = x
        let factors = (0..<channels).map { p[0][$0] / (p[3][$0] + epsilon).squareRoot() }
        for index in x.indices {
            let channel = (index / inner) % channels
            result[index] = (x[index] - p[2][channel]) * factors[channel] + p[1][channel]
        }
        return result
    }
}
