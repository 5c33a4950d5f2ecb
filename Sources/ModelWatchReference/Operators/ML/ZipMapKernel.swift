/// `ai.onnx.ml.ZipMap`: turns an [N, C] score tensor into N maps from class label to score.
struct ZipMapKernel: Kernel {
    let keys: ProbabilityMaps.Keys

    init(_ context: KernelContext) throws(ReferenceError) {
        if let strings = try context.strings("classlabels_strings"), !strings.isEmpty {
            self.keys = .string(strings)
        } else if let ints = try context.ints("classlabels_int64s"), !ints.isEmpty {
            self.keys = .int64(ints)
        } else {
            throw ReferenceError(.invalidGraph, "ZipMap needs class labels")
        }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let values = try input.floats()
        let (_, columns) = input.matrixShape
        guard columns == self.keys.count else {
            throw ReferenceError(.executionFailed, "ZipMap has \(self.keys.count) labels for \(columns) columns")
        }
        return [.maps(ProbabilityMaps(keys: self.keys, values: values))]
    }
}
