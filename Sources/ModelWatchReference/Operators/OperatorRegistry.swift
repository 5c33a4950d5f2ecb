/// Every operator this interpreter implements, by domain and name, with the oldest opset it honours.
enum OperatorRegistry {
    struct Entry: Sendable {
        /// The oldest opset version whose semantics the kernel implements; older models are refused.
        let since: Int
        let make: @Sendable (KernelContext) throws(ReferenceError) -> any Kernel
    }

    static let entries: [String: Entry] = {
        var entries: [String: Entry] = [:]
        func add(_ name: String, since: Int = 1, _ make: @escaping @Sendable (KernelContext) throws(ReferenceError) -> any Kernel) {
            entries[name] = Entry(since: since, make: make)
        }
        for function in UnaryKernel.Function.allCases {
            add(function.rawValue, since: function.since) { context throws(ReferenceError) in try UnaryKernel(function, context) }
        }
        for operation in BinaryKernel.Operation.allCases {
            add(operation.rawValue, since: operation.since) { context throws(ReferenceError) in BinaryKernel(operation) }
        }
        for operation in VariadicKernel.Operation.allCases {
            add(operation.rawValue, since: 8) { _ throws(ReferenceError) in VariadicKernel(operation) }
        }
        add("Where", since: 9) { _ throws(ReferenceError) in WhereKernel() }
        add("Clip", since: 6) { context throws(ReferenceError) in try ClipKernel(context) }
        add("Cast", since: 6) { context throws(ReferenceError) in try CastKernel(context) }
        add("Softmax") { context throws(ReferenceError) in try SoftmaxKernel(context, logarithmic: false) }
        add("LogSoftmax") { context throws(ReferenceError) in try SoftmaxKernel(context, logarithmic: true) }
        add("ArgMax") { context throws(ReferenceError) in try ArgExtremumKernel(context, maximum: true) }
        add("ArgMin") { context throws(ReferenceError) in try ArgExtremumKernel(context, maximum: false) }
        for reduction in ReduceKernel.Reduction.allCases {
            add(reduction.rawValue) { context throws(ReferenceError) in try ReduceKernel(reduction, context) }
        }
        add("MatMul") { _ throws(ReferenceError) in MatMulKernel() }
        add("Gemm", since: 7) { context throws(ReferenceError) in try GemmKernel(context) }
        for operation in ShapeKernel.Operation.allCases {
            add(operation.rawValue, since: operation.since) { context throws(ReferenceError) in try ShapeKernel(operation, context) }
        }
        add("Constant") { context throws(ReferenceError) in try ConstantKernel(context) }
        add("ConstantOfShape", since: 9) { context throws(ReferenceError) in try ConstantOfShapeKernel(context) }
        add("Concat", since: 4) { context throws(ReferenceError) in try ConcatKernel(context) }
        add("Gather") { context throws(ReferenceError) in try GatherKernel(context) }
        add("Slice", since: 10) { _ throws(ReferenceError) in SliceKernel() }
        add("BatchNormalization", since: 9) { context throws(ReferenceError) in try BatchNormalizationKernel(context) }
        add("LayerNormalization", since: 17) { context throws(ReferenceError) in try LayerNormalizationKernel(context) }
        add("Split", since: 2) { context throws(ReferenceError) in try SplitKernel(context) }
        add("Tile", since: 6) { _ throws(ReferenceError) in TileKernel() }
        add("Pad", since: 2) { context throws(ReferenceError) in try PadKernel(context) }
        add("Range", since: 11) { _ throws(ReferenceError) in RangeKernel() }
        add("CastLike", since: 15) { _ throws(ReferenceError) in CastLikeKernel() }
        add("Conv") { context throws(ReferenceError) in try ConvKernel(context) }
        for kind in PoolKernel.Kind.allCases {
            add(kind.rawValue) { context throws(ReferenceError) in try PoolKernel(kind, context) }
        }
        for (name, make) in MachineLearningOperators.all {
            entries["ai.onnx.ml.\(name)"] = Entry(since: 1, make: make)
        }
        return entries
    }()

    /// Builds the kernel for a node at its opset.
    static func kernel(for context: KernelContext) throws(ReferenceError) -> any Kernel {
        let key = context.node.domain.isEmpty ? context.node.opType : "\(context.node.domain).\(context.node.opType)"
        guard let entry = self.entries[key] else {
            throw ReferenceError(.unsupportedOperator, "operator \(key) is not supported")
        }
        guard context.opset >= entry.since else {
            throw ReferenceError(
                .unsupportedOperator, "\(key) before opset \(entry.since) is not supported (the model uses \(context.opset))")
        }
        return try entry.make(context)
    }
}
