/// One planned operator application: attributes already read and checked at load.
protocol Kernel: Sendable {
    /// Computes the node's outputs from its inputs (`nil` for an omitted optional input).
    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value]

    /// Appends the node's outputs to `outputs`, taking their storage from `buffers` where the
    /// kernel can, so that a session's repeated runs do not allocate per value.
    func run(_ inputs: [Value?], into outputs: inout [Value], buffers: inout BufferPool) throws(ReferenceError)
}

extension Kernel {
    /// Kernels that allocate their results fresh each run.
    func run(_ inputs: [Value?], into outputs: inout [Value], buffers: inout BufferPool) throws(ReferenceError) {
        outputs.append(contentsOf: try self.run(inputs))
    }
}

/// A kernel that writes its results into arrays from the session's ``BufferPool``.
protocol BufferedKernel: Kernel {}

/// A kernel with one output, appended to the step's outputs without an array of its own.
protocol SingleOutputKernel: BufferedKernel {
    /// Computes the node's one output.
    func value(_ inputs: [Value?], buffers: inout BufferPool) throws(ReferenceError) -> Value
}

extension SingleOutputKernel {
    /// Appends the one output.
    func run(_ inputs: [Value?], into outputs: inout [Value], buffers: inout BufferPool) throws(ReferenceError) {
        outputs.append(try self.value(inputs, buffers: &buffers))
    }
}

extension BufferedKernel {
    /// Runs with a pool of its own, for callers without a session.
    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        var buffers = BufferPool()
        var outputs: [Value] = []
        try self.run(inputs, into: &outputs, buffers: &buffers)
        return outputs
    }
}

/// What a kernel factory sees at load: the node and the opset version it is resolved at.
struct KernelContext {
    let node: Node
    let opset: Int

    func attribute(_ name: String) -> Attribute? { self.node.attributes[name] }

    func int(_ name: String, default value: Int64) throws(ReferenceError) -> Int64 {
        switch self.attribute(name) {
        case nil: return value
        case .int(let value): return value
        default: throw ReferenceError(.invalidGraph, "attribute '\(name)' must be an int")
        }
    }

    func float(_ name: String, default value: Float) throws(ReferenceError) -> Float {
        switch self.attribute(name) {
        case nil: return value
        case .float(let value): return value
        case .int(let value): return Float(value)
        default: throw ReferenceError(.invalidGraph, "attribute '\(name)' must be a float")
        }
    }

    func string(_ name: String, default value: String) throws(ReferenceError) -> String {
        switch self.attribute(name) {
        case nil: return value
        case .string(let value): return value
        default: throw ReferenceError(.invalidGraph, "attribute '\(name)' must be a string")
        }
    }

    func ints(_ name: String) throws(ReferenceError) -> [Int64]? {
        switch self.attribute(name) {
        case nil: return nil
        case .ints(let values): return values
        case .int(let value): return [value]
        default: throw ReferenceError(.invalidGraph, "attribute '\(name)' must be a list of ints")
        }
    }

    func floats(_ name: String) throws(ReferenceError) -> [Float]? {
        switch self.attribute(name) {
        case nil: return nil
        case .floats(let values): return values
        case .float(let value): return [value]
        default: throw ReferenceError(.invalidGraph, "attribute '\(name)' must be a list of floats")
        }
    }

    func strings(_ name: String) throws(ReferenceError) -> [String]? {
        switch self.attribute(name) {
        case nil: return nil
        case .strings(let values): return values
        case .string(let value): return [value]
        default: throw ReferenceError(.invalidGraph, "attribute '\(name)' must be a list of strings")
        }
    }

    func tensor(_ name: String) throws(ReferenceError) -> Tensor? {
        switch self.attribute(name) {
        case nil: return nil
        case .tensor(let value): return value
        default: throw ReferenceError(.invalidGraph, "attribute '\(name)' must be a tensor")
        }
    }

    /// A list of doubles from `name_as_tensor` (double) when present, else from the float list `name`.
    func doubles(_ name: String) throws(ReferenceError) -> (values: [Double], isDouble: Bool)? {
        if let tensor = try self.tensor("\(name)_as_tensor") {
            guard case .double(let values) = tensor.storage else {
                if case .float(let values) = tensor.storage { return (values.map(Double.init), false) }
                throw ReferenceError(.invalidGraph, "attribute '\(name)_as_tensor' must hold doubles")
            }
            return (values, true)
        }
        return try self.floats(name).map { ($0.map(Double.init), false) }
    }

    /// Refuses an attribute this kernel does not implement.
    func refuse(_ name: String, unless allowed: Bool) throws(ReferenceError) {
        if !allowed { throw ReferenceError(.unsupportedOperator, "attribute \(name) is not supported") }
    }
}
