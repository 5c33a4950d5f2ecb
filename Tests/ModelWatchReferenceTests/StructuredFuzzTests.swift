import ModelWatchReference
import TestSupport
import Testing

/// Well-formed models with random attributes, constant inputs and input shapes (a fixed seed):
/// kernels meet axes out of range, shapes that do not fit, negative and huge sizes. Each model
/// runs or is refused with a ``ReferenceError``; none crashes the process.
@Suite struct StructuredFuzzTests {
    /// Small values reach the kernels' shape logic; large ones (sizes, pads, repeats up to 70 000)
    /// their size guards.
    @Test(arguments: [(seed: UInt64(1515), models: 4000, largest: 4), (seed: UInt64(7), models: 300, largest: 70_000)])
    func randomAttributesAndShapesNeverCrash(_ corpus: (seed: UInt64, models: Int, largest: Int)) async throws {
        // Seconds of work: on a thread of its own, so the tests that talk to servers keep Swift
        // concurrency's two threads.
        let outcomes = try await onOwnThread { try Self.run(corpus) }
        print("structured fuzz: \(outcomes.sorted { $0.key < $1.key })")
        #expect(outcomes.values.reduce(0, +) == corpus.models)
        #expect((outcomes["ran"] ?? 0) > corpus.models / 10)
    }

    /// Builds and runs the corpus's random models: how many ran, and how many were refused, by error code.
    static func run(_ corpus: (seed: UInt64, models: Int, largest: Int)) throws -> [String: Int] {
        var random = MutationTests.SplitMix64(state: corpus.seed)
        func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + random.below(range.count) }
        func ints(_ count: Int, _ range: ClosedRange<Int>) -> [Int64] { (0..<count).map { _ in Int64(pick(range)) } }
        let operators: [(String, Int64, Int)] = [
            ("Softmax", 11, 1), ("Softmax", 13, 1), ("LogSoftmax", 13, 1), ("Transpose", 13, 1), ("ReduceSum", 11, 1),
            ("ReduceMean", 18, 2),
            ("ReduceMax", 13, 1), ("Squeeze", 11, 1), ("Unsqueeze", 11, 1), ("Squeeze", 13, 2), ("Unsqueeze", 13, 2), ("Concat", 13, 2),
            ("Gather", 13, 2), ("Slice", 13, 5), ("Reshape", 14, 2), ("Flatten", 13, 1), ("Split", 11, 1), ("Split", 18, 2),
            ("Tile", 13, 2),
            ("Pad", 18, 2), ("Expand", 13, 2), ("ArgMax", 13, 1), ("ArgMin", 13, 1), ("Gemm", 13, 2), ("MatMul", 13, 2), ("Conv", 11, 2),
            ("MaxPool", 12, 1), ("AveragePool", 19, 1), ("GlobalAveragePool", 1, 1), ("Add", 14, 2), ("Where", 16, 3), ("Clip", 6, 1),
            ("Clip", 13, 3), ("Cast", 19, 1), ("LayerNormalization", 17, 2), ("BatchNormalization", 15, 5), ("ConstantOfShape", 20, 1),
            ("Range", 11, 3), ("Sum", 13, 2), ("Softmax", 1, 1), ("ReduceL2", 13, 1), ("Pow", 15, 2),
        ]
        var outcomes: [String: Int] = [:]
        for _ in 0..<corpus.models {
            let (op, opset, inputCount) = operators[random.below(operators.count)]
            let rank = pick(0...4)
            let shape = (0..<rank).map { _ in pick(0...3) }
            var model = TestModel()
            model.opsets = [("", opset)]
            model.inputs = [("X", 1, [Int64](repeating: -1, count: rank))]
            var inputs = ["X"]
            for index in 1..<max(inputCount, 1) {
                let name = "C\(index)"
                let count = pick(0...4)
                if random.below(2) == 0 {
                    model.initializers.append(
                        TestModel.int64Tensor(name, dims: [Int64(count)], values: ints(count, -corpus.largest...corpus.largest)))
                } else {
                    let dims = (0..<pick(0...3)).map { _ in Int64(pick(1...3)) }
                    let total = dims.reduce(1, *)
                    model.initializers.append(
                        TestModel.floatTensor(name, dims: dims, values: (0..<Int(total)).map { _ in Float(pick(-3...3)) }))
                }
                inputs.append(name)
            }
            var attributes: [(inout ProtobufWriter) -> Void] = []
            for name in ["axis", "keepdims", "transA", "transB", "group", "to", "ceil_mode", "count_include_pad", "num_outputs"]
            where random.below(4) == 0 {
                attributes.append(TestModel.intAttribute(name, Int64(pick(-5...8))))
            }
            for name in ["axes", "perm", "split", "kernel_shape", "strides", "pads", "dilations"] where random.below(3) == 0 {
                attributes.append(TestModel.intsAttribute(name, ints(pick(0...4), -3...corpus.largest)))
            }
            let outputs = op == "Split" ? ["Y", "Y2"] : ["Y"]
            model.nodes = [.init(op: op, inputs: inputs, outputs: outputs, attributes: attributes)]
            model.outputs = [("Y", 0)]
            let values = (0..<shape.reduce(1, *)).map { _ in Float(pick(-4...4)) / 2 }
            do {
                var session = try ReferenceModel(bytes: model.bytes).makeSession()
                _ = try session.run(tensors: ["X": try Tensor(shape: shape, floats: values)])
                outcomes["ran", default: 0] += 1
            } catch {
                outcomes[error.code.description, default: 0] += 1
            }
        }
        return outcomes
    }
}
