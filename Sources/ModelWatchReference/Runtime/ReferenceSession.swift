/// Runs a ``ReferenceModel`` on one thread; its value slots are reused from run to run.
///
/// Make one session per thread: a session is a value with mutable state, a model is shared.
public struct ReferenceSession {
    /// The model this session runs.
    public let model: ReferenceModel
    private var slots: [Value?]

    init(model: ReferenceModel) {
        self.model = model
        self.slots = [Value?](repeating: nil, count: model.slotCount)
        for constant in model.constants { self.slots[constant.slot] = constant.value }
    }

    /// Runs the model on named inputs and returns every graph output by name.
    /// - Throws: ``ReferenceError`` with code `invalidInput` for a missing or mistyped input,
    ///   `executionFailed` (naming the node) when an operator cannot compute.
    public mutating func run(_ inputs: [String: Value]) throws(ReferenceError) -> [String: Value] {
        let model = self.model
        defer {
            for index in self.slots.indices { self.slots[index] = nil }
            for constant in model.constants { self.slots[constant.slot] = constant.value }
        }
        for (info, slot) in zip(model.inputs, model.inputSlots) {
            guard let value = inputs[info.name] else { throw ReferenceError(.invalidInput, "input '\(info.name)' is missing") }
            try Self.check(value, against: info)
            self.slots[slot] = value
        }
        for step in model.steps {
            let arguments = step.inputs.map { $0.flatMap { self.slots[$0] } }
            let results: [Value]
            do { results = try step.kernel.run(arguments) } catch { throw error.within(step.label) }
            for (slot, value) in zip(step.outputs, results) {
                if let slot { self.slots[slot] = value }
            }
            if results.count < step.outputs.compactMap({ $0 }).count {
                throw ReferenceError(.executionFailed, "\(step.label) produced \(results.count) outputs")
            }
            for slot in step.releases { self.slots[slot] = nil }
        }
        var outputs: [String: Value] = [:]
        for (info, slot) in zip(model.outputs, model.outputSlots) {
            guard let value = self.slots[slot] else { throw ReferenceError(.executionFailed, "output '\(info.name)' was not computed") }
            outputs[info.name] = value
        }
        return outputs
    }

    /// Runs the model on named tensors.
    /// - Throws: as ``run(_:)-(_:[String:Value])``.
    public mutating func run(tensors: [String: Tensor]) throws(ReferenceError) -> [String: Value] {
        try self.run(tensors.mapValues { Value.tensor($0) })
    }

    private static func check(_ value: Value, against info: ValueInfo) throws(ReferenceError) {
        guard case .tensor(let tensor) = value else {
            throw ReferenceError(.invalidInput, "input '\(info.name)' must be a tensor")
        }
        guard case .tensor(let code, let shape) = info.type else { return }
        guard Int64(tensor.elementType.rawValue) == code else {
            throw ReferenceError(.invalidInput, "input '\(info.name)' must be \(ElementType.onnxName(code)), got \(tensor.elementType)")
        }
        guard let shape else { return }
        guard shape.count == tensor.shape.count else {
            throw ReferenceError(.invalidInput, "input '\(info.name)' must have rank \(shape.count), got shape \(tensor.shape)")
        }
        for (declared, actual) in zip(shape, tensor.shape) {
            if case .fixed(let size) = declared, size != actual {
                throw ReferenceError(
                    .invalidInput,
                    "input '\(info.name)' must have shape [\(shape.map(\.description).joined(separator: ", "))], got \(tensor.shape)")
            }
        }
    }
}
