#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A loaded, validated and planned ONNX model; immutable and shareable between threads.
///
/// Loading checks every node against the operators this interpreter implements at the model's
/// opset, resolves every input to a graph input, an initializer or an earlier node's output, orders
/// the nodes topologically and builds each node's kernel once, so that a model either loads
/// completely or is refused with an error naming the node. Run it through a ``ReferenceSession``,
/// one per thread.
public final class ReferenceModel: Sendable {
    /// The inputs a caller must feed (graph inputs that are not initializers).
    public let inputs: [ValueInfo]
    /// The outputs a run returns.
    public let outputs: [ValueInfo]
    /// Operator-set versions by domain (`""` is `ai.onnx`).
    public let opsets: [String: Int]
    /// The converter that wrote the file.
    public let producer: String
    /// How many nodes use each operator, keyed `domain.Op` (`Op` for `ai.onnx`).
    public let operatorCounts: [String: Int]

    let steps: [Step]
    let slotCount: Int
    let constants: [(slot: Int, value: Value)]
    let inputSlots: [Int]
    let outputSlots: [Int]

    /// One node in execution order.
    struct Step: Sendable {
        let kernel: any Kernel
        let label: String
        let inputs: [Int?]
        let outputs: [Int?]
        /// How many outputs the node names (omitted optional ones are not counted).
        let producedCount: Int
        /// Graph inputs whose last reader is this step; cleared after it.
        let releases: [Int]
        /// Values of earlier steps whose last reader is this step: their storage goes back to the
        /// session's pool for the steps after it, so memory follows the live set.
        let recycles: [Int]
    }

    /// The newest operator-set version of each domain this interpreter knows.
    public static let supportedOpsets: [String: Int] = ["": 28, "ai.onnx.ml": 5]

    /// Every operator this interpreter implements, keyed `Op` for `ai.onnx` and `ai.onnx.ml.Op`.
    public static var supportedOperators: [String] { OperatorRegistry.entries.keys.sorted() }

    /// Loads a model from an `.onnx` file.
    /// - Throws: ``ReferenceError`` naming what cannot be read or honoured.
    public convenience init(contentsOf path: String) throws(ReferenceError) {
        try self.init(bytes: try Self.readFile(path))
    }

    /// Loads a model from the bytes of an `.onnx` file.
    /// - Throws: ``ReferenceError`` naming what cannot be read or honoured.
    public convenience init(bytes: [UInt8]) throws(ReferenceError) {
        try self.init(model: try OnnxModel(bytes: bytes))
    }

    /// Validates and plans a model already read.
    /// - Throws: ``ReferenceError`` naming the node or value that cannot be honoured.
    public init(model: OnnxModel) throws(ReferenceError) {
        let graph = model.graph
        var slots: [String: Int] = [:]
        var constants: [(slot: Int, value: Value)] = []
        func slot(_ name: String) -> Int {
            if let existing = slots[name] { return existing }
            slots[name] = slots.count
            return slots.count - 1
        }
        for (name, tensor) in graph.initializers.sorted(by: { $0.key < $1.key }) {
            constants.append((slot(name), .tensor(tensor)))
        }
        var inputs: [ValueInfo] = []
        var inputSlots: [Int] = []
        for input in graph.inputs where graph.initializers[input.name] == nil {
            guard slots[input.name] == nil else { throw ReferenceError(.invalidGraph, "input '\(input.name)' is declared twice") }
            try Self.checkSupported(input, role: "input")
            inputs.append(input)
            inputSlots.append(slot(input.name))
        }
        for output in graph.outputs { try Self.checkSupported(output, role: "output") }

        // Topological order (Kahn), which also finds cycles and undefined inputs.
        var producers: [String: Int] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for output in node.outputs where !output.isEmpty {
                guard slots[output] == nil, producers[output] == nil else {
                    throw ReferenceError(.invalidGraph, "\(node.label): value '\(output)' is defined more than once")
                }
                producers[output] = index
            }
        }
        var waiting = [Int](repeating: 0, count: graph.nodes.count)
        var consumers = [[Int]](repeating: [], count: graph.nodes.count)
        for (index, node) in graph.nodes.enumerated() {
            for input in node.inputs where !input.isEmpty {
                if let producer = producers[input] {
                    waiting[index] += 1
                    consumers[producer].append(index)
                } else if slots[input] == nil {
                    throw ReferenceError(.invalidGraph, "\(node.label): input '\(input)' is not defined by any node, input or initializer")
                }
            }
        }
        var ready = (0..<graph.nodes.count).filter { waiting[$0] == 0 }.reversed().map { $0 }
        var order: [Int] = []
        while let next = ready.popLast() {
            order.append(next)
            for consumer in consumers[next] {
                waiting[consumer] -= 1
                if waiting[consumer] == 0 { ready.append(consumer) }
            }
        }
        if order.count < graph.nodes.count {
            let stuck = (0..<graph.nodes.count).first { waiting[$0] > 0 } ?? 0
            throw ReferenceError(.invalidGraph, "\(graph.nodes[stuck].label) is part of a cycle")
        }

        var operatorCounts: [String: Int] = [:]
        var built: [(kernel: any Kernel, node: Node)] = []
        var typeCheck = TypeCheck(graph: graph)
        for index in order {
            let node = graph.nodes[index]
            try typeCheck.visit(node)
            let key = node.domain.isEmpty ? node.opType : "\(node.domain).\(node.opType)"
            operatorCounts[key, default: 0] += 1
            guard let supported = Self.supportedOpsets[node.domain] else {
                throw ReferenceError(.unsupportedOpset, "\(node.label): domain '\(node.domain)' is not supported")
            }
            guard let opset = model.opsets[node.domain] else {
                throw ReferenceError(.invalidGraph, "\(node.label): the model imports no opset for domain '\(node.domain)'")
            }
            guard opset <= supported, opset >= 1 else {
                let domain = node.domain.isEmpty ? "ai.onnx" : node.domain
                throw ReferenceError(.unsupportedOpset, "\(node.label): opset \(opset) of \(domain) is not supported (1...\(supported))")
            }
            do {
                built.append((try OperatorRegistry.kernel(for: KernelContext(node: node, opset: opset)), node))
            } catch {
                throw error.within(node.label)
            }
        }
        var outputSlots: [Int] = []
        for output in graph.outputs {
            try typeCheck.checkOutput(output)
            guard let existing = slots[output.name] ?? producers[output.name].map({ _ in slot(output.name) }) else {
                throw ReferenceError(.invalidGraph, "output '\(output.name)' is not produced by the graph")
            }
            outputSlots.append(existing)
        }
        var stepInputs: [[Int?]] = []
        var stepOutputs: [[Int?]] = []
        for (_, node) in built {
            stepInputs.append(node.inputs.map { $0.isEmpty ? nil : slot($0) })
            stepOutputs.append(node.outputs.map { $0.isEmpty ? nil : slot($0) })
        }
        // The step after which each slot is no longer read (graph outputs and constants are kept).
        var lastUse: [Int: Int] = [:]
        for (position, inputsOfStep) in stepInputs.enumerated() {
            for case let input? in inputsOfStep { lastUse[input] = position }
        }
        for (position, outputsOfStep) in stepOutputs.enumerated() {
            for case let output? in outputsOfStep where lastUse[output] == nil { lastUse[output] = position }
        }
        let kept = Set(outputSlots).union(constants.map(\.slot))
        let produced = Set(stepOutputs.joined().compactMap { $0 })
        var releases = [[Int]](repeating: [], count: built.count)
        var recycles = [[Int]](repeating: [], count: built.count)
        for (slot, position) in lastUse.sorted(by: { $0.key < $1.key }) where !kept.contains(slot) {
            if produced.contains(slot) { recycles[position].append(slot) } else { releases[position].append(slot) }
        }
        self.steps = built.enumerated().map { position, entry in
            Step(
                kernel: entry.kernel, label: entry.node.label, inputs: stepInputs[position], outputs: stepOutputs[position],
                producedCount: stepOutputs[position].count { $0 != nil }, releases: releases[position], recycles: recycles[position])
        }
        self.slotCount = slots.count
        self.constants = constants
        self.inputs = inputs
        self.inputSlots = inputSlots
        self.outputs = graph.outputs
        self.outputSlots = outputSlots
        self.opsets = model.opsets
        self.producer = model.producer
        self.operatorCounts = operatorCounts
    }

    /// A session for running this model on one thread.
    public func makeSession() -> ReferenceSession { ReferenceSession(model: self) }

    private static func checkSupported(_ info: ValueInfo, role: String) throws(ReferenceError) {
        switch info.type {
        case .tensor(0, _) where role == "output":
            return  // an output whose type the file leaves open
        case .tensor(let code, _):
            do { _ = try ElementType.onnx(code) } catch { throw error.within("\(role) '\(info.name)'") }
        case .sequence(.map(let key, .tensor(1, _))) where role == "output" && (key == 7 || key == 8):
            return
        case nil:
            return
        case let other?:
            throw ReferenceError(.unsupportedType, "\(role) '\(info.name)' has type \(other), which is not supported")
        }
    }

    private static func readFile(_ path: String) throws(ReferenceError) -> [UInt8] {
        guard let file = fopen(path, "rb") else { throw ReferenceError(.unreadable, "cannot open \(path)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            bytes.append(contentsOf: chunk[0..<count])
            if count < chunk.count {
                if ferror(file) != 0 { throw ReferenceError(.unreadable, "cannot read \(path)") }
                return bytes
            }
        }
    }
}
