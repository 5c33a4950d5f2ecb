/// `ai.onnx.ml.Imputer`: replaces a marker value (NaN by default for floats) with per-feature values.
struct ImputerKernel: Kernel {
    let floatValues: [Float]
    let intValues: [Int64]
    let replacedFloat: Float
    let replacedInt: Int64

    init(_ context: KernelContext) throws(ReferenceError) {
        self.floatValues = try context.floats("imputed_value_floats") ?? []
        self.intValues = try context.ints("imputed_value_int64s") ?? []
        self.replacedFloat = try context.float("replaced_value_float", default: 0)
        self.replacedInt = try context.int("replaced_value_int64", default: 0)
        guard !self.floatValues.isEmpty || !self.intValues.isEmpty else {
            throw ReferenceError(.invalidGraph, "Imputer needs imputed values")
        }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let (_, features) = input.matrixShape
        switch input.storage {
        case .float(let values):
            guard self.floatValues.count == 1 || self.floatValues.count == features else {
                throw ReferenceError(.invalidInput, "Imputer has \(self.floatValues.count) values for \(features) features")
            }
            let marker = self.replacedFloat
            let output = values.enumerated().map { index, value -> Float in
                let replace = marker.isNaN ? value.isNaN : value == marker
                return replace ? self.floatValues[self.floatValues.count == 1 ? 0 : index % features] : value
            }
            return [.tensor(Tensor(checkedShape: input.shape, .float(output)))]
        case .int64(let values):
            guard self.intValues.count == 1 || self.intValues.count == features else {
                throw ReferenceError(.invalidInput, "Imputer has \(self.intValues.count) values for \(features) features")
            }
            let output = values.enumerated().map { index, value in
                value == self.replacedInt ? self.intValues[self.intValues.count == 1 ? 0 : index % features] : value
            }
            return [.tensor(Tensor(checkedShape: input.shape, .int64(output)))]
        default:
            throw ReferenceError(.unsupportedType, "Imputer of \(input.elementType) is not supported")
        }
    }
}
