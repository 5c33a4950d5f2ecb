/// `ai.onnx.ml.Scaler`: (x − offset) · scale per feature (one value applies to all).
struct ScalerKernel: Kernel {
    let offset: [Float]
    let scale: [Float]

    init(_ context: KernelContext) throws(ReferenceError) {
        self.offset = try context.floats("offset") ?? []
        self.scale = try context.floats("scale") ?? []
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let x = try input.floatsConverting()
        let (_, features) = input.matrixShape
        for list in [self.offset, self.scale] where list.count > 1 && list.count != features {
            throw ReferenceError(.invalidInput, "Scaler has \(list.count) values for \(features) features")
        }
        var output = x
        for index in output.indices {
            let feature = features == 0 ? 0 : index % features
            let offset = self.offset.isEmpty ? 0 : self.offset[self.offset.count == 1 ? 0 : feature]
            let scale = self.scale.isEmpty ? 1 : self.scale[self.scale.count == 1 ? 0 : feature]
            output[index] = (x[index] - offset) * scale
        }
        return [.tensor(Tensor(checkedShape: input.shape, .float(output)))]
    }
}
