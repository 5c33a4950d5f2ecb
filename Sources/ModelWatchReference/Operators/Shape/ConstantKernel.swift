/// `Constant`: a tensor from one of its value attributes.
struct ConstantKernel: Kernel {
    let value: Tensor

    init(_ context: KernelContext) throws(ReferenceError) {
        if let tensor = try context.tensor("value") {
            self.value = tensor
        } else if case .float(let value) = context.attribute("value_float") {
            self.value = Tensor(checkedShape: [], .float([value]))
        } else if let values = try context.floats("value_floats") {
            self.value = Tensor(checkedShape: [values.count], .float(values))
        } else if case .int(let value) = context.attribute("value_int") {
            self.value = Tensor(checkedShape: [], .int64([value]))
        } else if let values = try context.ints("value_ints") {
            self.value = Tensor(checkedShape: [values.count], .int64(values))
        } else if case .string(let value) = context.attribute("value_string") {
            self.value = Tensor(checkedShape: [], .string([value]))
        } else if let values = try context.strings("value_strings") {
            self.value = Tensor(checkedShape: [values.count], .string(values))
        } else {
            throw ReferenceError(.unsupportedOperator, "Constant without a dense value attribute is not supported")
        }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] { [.tensor(self.value)] }
}
