/// Element types followed through the graph at load, so that a model whose operators would meet
/// mismatched types (an `Add` of float and int64, a `Where` on floats) is refused naming the node
/// instead of failing on the first request.
///
/// Conservative on purpose: a value's type is tracked only where the operator's rule is simple,
/// and a node is checked only when every type it needs is known.
struct TypeCheck {
    private(set) var types: [String: Int64] = [:]

    init(graph: Graph) {
        for (name, tensor) in graph.initializers { self.types[name] = Int64(tensor.elementType.rawValue) }
        for input in graph.inputs where graph.initializers[input.name] == nil {
            if case .tensor(let code, _)? = input.type { self.types[input.name] = code }
        }
    }

    private static let sameTypeInputs: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Less", "Greater", "Equal", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Sum", "Max", "Min",
        "Mean", "MatMul", "Gemm", "Concat",
    ]
    private static let boolResults: Set<String> = [
        "Less", "Greater", "Equal", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not",
    ]
    private static let firstInputResults: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Pow", "Sum", "Max", "Min", "Mean", "Neg", "Abs", "Sqrt", "Exp", "Log", "Relu", "LeakyRelu", "Sigmoid",
        "Tanh", "Erf", "Gelu", "Identity", "Reciprocal", "Floor", "Ceil", "Softplus", "Elu", "HardSigmoid", "Sign", "Sin", "Cos", "Clip",
        "Softmax", "LogSoftmax", "MatMul", "Gemm", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Expand", "Concat", "Gather",
        "Slice", "Tile", "Pad", "Split", "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
    ]

    /// Checks one node's inputs and records its outputs' types.
    mutating func visit(_ node: Node) throws(ReferenceError) {
        let known = node.inputs.map { $0.isEmpty ? nil : self.types[$0] }
        if node.domain.isEmpty {
            if Self.sameTypeInputs.contains(node.opType) {
                let present = node.opType == "Gemm" ? Array(known.prefix(2)) : known
                let distinct = Set(present.compactMap { $0 })
                if distinct.count > 1 {
                    let names = distinct.sorted().map { ElementType.onnxName($0) }.joined(separator: " and ")
                    throw ReferenceError(.invalidGraph, "\(node.label) gets inputs of different types (\(names))")
                }
            }
            if node.opType == "Where" {
                if let condition = known.first ?? nil, condition != Int64(ElementType.bool.rawValue) {
                    throw ReferenceError(.invalidGraph, "\(node.label) needs a bool condition, gets \(ElementType.onnxName(condition))")
                }
                if known.count == 3, let x = known[1], let y = known[2], x != y {
                    throw ReferenceError(.invalidGraph, "\(node.label) gets x and y of different types")
                }
            }
        }
        for (index, output) in node.outputs.enumerated() where !output.isEmpty {
            self.types[output] = self.resultType(node, index, known)
        }
    }

    private func resultType(_ node: Node, _ index: Int, _ known: [Int64?]) -> Int64? {
        guard node.domain.isEmpty else { return nil }
        if Self.boolResults.contains(node.opType) { return index == 0 ? Int64(ElementType.bool.rawValue) : nil }
        switch node.opType {
        case "ArgMax", "ArgMin", "Shape", "Size": return Int64(ElementType.int64.rawValue)
        case "Cast":
            if case .int(let to)? = node.attributes["to"] { return to }
            return nil
        case "CastLike": return known.count > 1 ? known[1] : nil
        case "Where": return known.count > 1 ? known[1] : nil
        case "Dropout": return index == 0 ? known.first ?? nil : Int64(ElementType.bool.rawValue)
        default:
            if Self.firstInputResults.contains(node.opType), index == 0 || node.opType == "Split" { return known.first ?? nil }
            return nil
        }
    }

    /// Refuses a graph output whose declared element type differs from the one its node produces.
    func checkOutput(_ info: ValueInfo) throws(ReferenceError) {
        guard case .tensor(let declared, _)? = info.type, declared != 0, let produced = self.types[info.name], produced != declared else {
            return
        }
        throw ReferenceError(
            .invalidGraph,
            "output '\(info.name)' is declared \(ElementType.onnxName(declared)) but its node produces \(ElementType.onnxName(produced))")
    }
}
