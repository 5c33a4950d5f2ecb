/// Runs a ``ReferenceModel`` on one thread, keeping its buffers from run to run.
///
/// Make one session per thread: a session is a value with mutable state, a model is shared.
/// A value's storage goes back to the session's pool after its last reader (planned at load) and
/// the kernels that produce later values write into it, so once a session has run a batch size,
/// further runs of that size allocate little more than the outputs they return. Returned
/// tensors are the caller's: a later run never changes them.
public struct ReferenceSession {
    /// The model this session runs.
    public let model: ReferenceModel
    private var slots: [Value?]
    private var buffers = BufferPool()
    /// A step's inputs and results, kept so that their arrays are not allocated per step.
    private var arguments: [Value?] = []
    private var results: [Value] = []

    init(model: ReferenceModel) {
        self.model = model
        self.slots = [Value?](repeating: nil, count: model.slotCount)
        for constant in model.constants { self.slots[constant.slot] = constant.value }
    }

    /// Runs the model on named inputs and returns every graph output by name.
    /// - Throws: ``ReferenceError`` with code `invalidInput` for a missing or mistyped input,
    ///   `executionFailed` (naming the node) when an operator cannot compute.
    public mutating func run(_ inputs: [String: Value]) throws(ReferenceError) -> [String: Value] {
        try self.execute { inputs[$0] }
    }

    /// Runs the model on named tensors.
    /// - Throws: as ``run(_:)-(_:[String:Value])``.
    public mutating func run(tensors: [String: Tensor]) throws(ReferenceError) -> [String: Value] {
        try self.execute { tensors[$0].map(Value.tensor) }
    }

    private mutating func execute(_ input: (String) -> Value?) throws(ReferenceError) -> [String: Value] {
        let model = self.model
        defer {
            for index in self.slots.indices { self.slots[index] = nil }
            for constant in model.constants { self.slots[constant.slot] = constant.value }
            self.arguments.removeAll(keepingCapacity: true)
            self.results.removeAll(keepingCapacity: true)
        }
        for (info, slot) in zip(model.inputs, model.inputSlots) {
            guard let value = input(info.name) else { throw ReferenceError(.invalidInput, "input '\(info.name)' is missing") }
            try Self.check(value, against: info)
            self.slots[slot] = value
        }
        let plan = model.plan
        for (position, step) in plan.steps.enumerated() {
            for index in step.inputs { self.arguments.append(plan.slot(index).flatMap { self.slots[$0] }) }
            do {
                try step.kernel.run(self.arguments, into: &self.results, buffers: &self.buffers)
            } catch {
                throw error.within(plan.label(position))
            }
            if self.results.count < step.producedCount {
                throw ReferenceError(.executionFailed, "\(plan.label(position)) produced \(self.results.count) outputs")
            }
            for (index, value) in zip(step.outputs, self.results) {
                if let slot = plan.slot(index) { self.slots[slot] = value }
            }
            // Dropped before recycling, so that a recycled array is the pool's alone.
            self.arguments.removeAll(keepingCapacity: true)
            self.results.removeAll(keepingCapacity: true)
            for index in step.releases { self.slots[Int(plan.slots[index])] = nil }
            for index in step.recycles {
                let slot = Int(plan.slots[index])
                guard let value = self.slots[slot] else { continue }
                self.slots[slot] = nil
                self.buffers.recycle(value)
            }
        }
        var outputs = [String: Value](minimumCapacity: model.outputs.count)
        for (info, slot) in zip(model.outputs, model.outputSlots) {
            guard let value = self.slots[slot] else { throw ReferenceError(.executionFailed, "output '\(info.name)' was not computed") }
            outputs[info.name] = value
        }
        return outputs
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
