/// `Where(condition, x, y)`: x where the condition holds, else y, all three broadcast together.
struct WhereKernel: Kernel {
    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let condition = try inputs.tensor(0)
        let x = try inputs.tensor(1)
        let y = try inputs.tensor(2)
        guard case .bool(let mask) = condition.storage else { throw ReferenceError(.executionFailed, "Where's condition must be bool") }
        guard x.elementType == y.elementType else { throw ReferenceError(.executionFailed, "Where's x and y differ in type") }
        let shape = try Broadcasting.shape(try Broadcasting.shape(condition.shape, x.shape), y.shape)
        let maskIndices = Broadcasting.indices(of: condition.shape, in: shape)
        let xIndices = Broadcasting.indices(of: x.shape, in: shape)
        let yIndices = Broadcasting.indices(of: y.shape, in: shape)
        // Pick from the concatenation of x and y.
        let picks = (0..<maskIndices.count).map { mask[maskIndices[$0]] ? xIndices[$0] : x.count + yIndices[$0] }
        let both = try Tensor.Storage.concatenating([x.storage, y.storage])
        return [.tensor(Tensor(checkedShape: shape, both.gathering(picks)))]
    }
}
