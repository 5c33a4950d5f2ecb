/// `ai.onnx.ml.ArrayFeatureExtractor`: selects elements of the last axis at the given indices.
struct ArrayFeatureExtractorKernel: SingleOutputKernel {
    func value(_ inputs: [Value?], buffers: inout BufferPool) throws(ReferenceError) -> Value {
        let data = try inputs.tensor(0)
        let selected = try inputs.tensor(1).integers()
        guard let last = data.shape.last else { throw ReferenceError(.executionFailed, "ArrayFeatureExtractor of a scalar") }
        guard !selected.isEmpty else { throw ReferenceError(.executionFailed, "ArrayFeatureExtractor needs indices") }
        for index in selected where index < 0 || index >= last {
            throw ReferenceError(.executionFailed, "ArrayFeatureExtractor index \(index) out of range 0..<\(last)")
        }
        let outer = data.count / Swift.max(last, 1)
        var indices: [Int] = []
        indices.reserveCapacity(outer * selected.count)
        for o in 0..<outer {
            for index in selected { indices.append(o * last + index) }
        }
        var shape = buffers.shape(copying: data.shape.dropLast())
        if shape.isEmpty { shape.append(1) }
        shape.append(selected.count)
        return .tensor(Tensor(checkedShape: shape, data.storage.gathering(indices)))
    }
}
