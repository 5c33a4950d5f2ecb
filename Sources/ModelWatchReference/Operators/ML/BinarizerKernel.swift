/// `ai.onnx.ml.Binarizer`: 1 where x > threshold, else 0, in the input's type.
struct BinarizerKernel: Kernel {
    let threshold: Float

    init(_ context: KernelContext) throws(ReferenceError) {
        self.threshold = try context.float("threshold", default: 0)
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        switch input.storage {
        case .float(let values): return [.tensor(Tensor(checkedShape: input.shape, .float(values.map { $0 > self.threshold ? 1 : 0 })))]
        case .double(let values):
            let threshold = Double(self.threshold)
            return [.tensor(Tensor(checkedShape: input.shape, .double(values.map { $0 > threshold ? 1 : 0 })))]
        case .int64(let values):
            return [.tensor(Tensor(checkedShape: input.shape, .int64(values.map { Float($0) > self.threshold ? 1 : 0 })))]
        case .int32(let values):
            return [.tensor(Tensor(checkedShape: input.shape, .int32(values.map { Float($0) > self.threshold ? 1 : 0 })))]
        default: throw ReferenceError(.unsupportedType, "Binarizer of \(input.elementType) is not supported")
        }
    }
}
