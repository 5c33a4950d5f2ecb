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

    let plan: ExecutionPlan
    let slotCount: Int
    let constants: [(slot: Int, value: Value)]
    let inputSlots: [Int]
    let outputSlots: [Int]

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
        self.plan = ExecutionPlan(
            built.map { entry in
                (
                    entry.kernel, entry.node.label, entry.node.inputs.map { $0.isEmpty ? nil : slot($0) },
                    entry.node.outputs.map { $0.isEmpty ? nil : slot($0) }
                )
            }, kept: Set(outputSlots).union(constants.map(\.slot)))
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

    /// The file's bytes in one array of its size (a byte more, to see the end in one read): a load
    /// leaves no large block behind for the model's own arrays to fragment.
    private static func readFile(_ path: String) throws(ReferenceError) -> [UInt8] {
        guard let file = fopen(path, "rb") else { throw ReferenceError(.unreadable, "cannot open \(path)") }
        defer { fclose(file) }
        var size = 0
        if fseek(file, 0, SEEK_END) == 0 {
            size = Swift.max(ftell(file), 0)
            rewind(file)
        }
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var count = 0
        while true {
            // A file without a size (a pipe) or one that grew since is read on into a larger array.
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: Swift.max(bytes.count, 1 << 16))) }
            let read = bytes.withUnsafeMutableBytes { fread($0.baseAddress! + count, 1, $0.count - count, file) }
            count += read
            if count < bytes.count {
                if ferror(file) != 0 { throw ReferenceError(.unreadable, "cannot read \(path)") }
                if feof(file) != 0 { break }
            }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}
