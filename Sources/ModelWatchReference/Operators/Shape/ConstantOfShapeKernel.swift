/// `ConstantOfShape`: a tensor of the input shape filled with the `value` attribute (float 0 by default).
struct ConstantOfShapeKernel: Kernel {
    let fill: Tensor.Storage

    init(_ context: KernelContext) throws(ReferenceError) {
        let value = try context.tensor("value") ?? Tensor(checkedShape: [1], .float([0]))
        guard value.count == 1 else { throw ReferenceError(.invalidGraph, "ConstantOfShape value must have one element") }
        self.fill = value.storage
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let shape = try inputs.tensor(0).integers()
        guard let count = Tensor.elementCount(shape), count <= 1 << 28 else {
            throw ReferenceError(.executionFailed, "ConstantOfShape shape \(shape) is invalid or too large")
        }
        return [.tensor(Tensor(checkedShape: shape, self.fill.repeatingFirst(count)))]
    }
}
