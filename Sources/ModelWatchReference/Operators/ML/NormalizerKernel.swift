/// `ai.onnx.ml.Normalizer`: divides each row by its MAX, L1 or L2 norm.
struct NormalizerKernel: Kernel {
    enum Norm: String, Sendable {
        case max = "MAX"
        case l1 = "L1"
        case l2 = "L2"
    }

    let norm: Norm

    init(_ context: KernelContext) throws(ReferenceError) {
        let name = try context.string("norm", default: "MAX")
        guard let norm = Norm(rawValue: name) else { throw ReferenceError(.invalidGraph, "unknown norm '\(name)'") }
        self.norm = norm
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        var x = try input.floatsConverting()
        let (rows, features) = input.matrixShape
        for row in 0..<rows {
            let range = (row * features)..<((row + 1) * features)
            let divisor: Float
            switch self.norm {
            case .max: divisor = x[range].max() ?? 1
            case .l1: divisor = x[range].reduce(0) { $0 + Swift.abs($1) }
            case .l2: divisor = x[range].reduce(0) { $0 + $1 * $1 }.squareRoot()
            }
            for index in range { x[index] /= divisor }
        }
        return [.tensor(Tensor(checkedShape: input.shape, .float(x)))]
    }
}
