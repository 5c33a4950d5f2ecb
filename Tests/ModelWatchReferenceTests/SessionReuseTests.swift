import ModelWatchReference
import Testing

/// A session keeps its buffers from run to run and reuses them when shapes repeat: its answers
/// must be those of a fresh session whatever ran before, and what a run returned must never
/// change when the session runs again (the shadow path keeps one session per inference thread
/// and holds results while the next request runs).
@Suite struct SessionReuseTests {
    /// relu(X·W + B) into a Gemm with transB, whose softmax is returned through Identity (so an
    /// output shares storage with a value the session recycles) and reduced by ArgMax.
    static var model: TestModel {
        var model = TestModel()
        model.initializers = [
            TestModel.floatTensor("W", dims: [3, 4], values: [0.5, -1, 2, 0.25, 1, 1, -0.5, 3, -2, 0.75, 1, -1]),
            TestModel.floatTensor("B", dims: [4], values: [0.1, -0.2, 0.3, 0]),
            TestModel.floatTensor("V", dims: [2, 4], values: [1, -1, 0.5, 2, -0.5, 1, 1, -1]),
        ]
        model.nodes = [
            .init(op: "MatMul", inputs: ["X", "W"], outputs: ["P"]),
            .init(op: "Add", inputs: ["P", "B"], outputs: ["S"]),
            .init(op: "Relu", inputs: ["S"], outputs: ["R"]),
            .init(op: "Gemm", inputs: ["R", "V"], outputs: ["G"], attributes: [TestModel.intAttribute("transB", 1)]),
            .init(op: "Softmax", inputs: ["G"], outputs: ["M"]),
            .init(op: "Identity", inputs: ["M"], outputs: ["Probabilities"]),
            .init(op: "ArgMax", inputs: ["M"], outputs: ["Label"], attributes: [TestModel.intAttribute("axis", 1)]),
        ]
        model.outputs = [("G", 1), ("Probabilities", 1), ("Label", 7)]
        return model
    }

    static func rows(_ count: Int, seed: Int) throws -> Tensor {
        try Tensor(shape: [count, 3], floats: (0..<(count * 3)).map { Float(($0 * 7 + seed * 13) % 23) / 4 - 2.5 })
    }

    /// The outputs copied element by element, so that a later change to the storage would show.
    static func snapshot(_ outputs: [String: Value]) -> [String: [String]] {
        outputs.mapValues { $0.tensor?.stringValues ?? [] }
    }

    @Test func repeatedRunsWithChangingBatchSizesGiveFreshSessionAnswers() throws {
        let model = try ReferenceModel(bytes: Self.model.bytes)
        var session = model.makeSession()
        var kept: [(outputs: [String: Value], copy: [String: [String]])] = []
        for (count, seed) in [(5, 0), (5, 0), (1, 1), (64, 2), (5, 3), (1, 1), (5, 0)] {
            let input = try Self.rows(count, seed: seed)
            var fresh = model.makeSession()
            let expected = try fresh.run(tensors: ["X": input])
            let outputs = try session.run(tensors: ["X": input])
            #expect(outputs == expected, "batch \(count), seed \(seed)")
            #expect(outputs["Label"]?.tensor?.shape == [count, 1])
            kept.append((outputs, Self.snapshot(outputs)))
        }
        // Every result handed out is unchanged by the runs after it.
        for (index, entry) in kept.enumerated() {
            #expect(Self.snapshot(entry.outputs) == entry.copy, "run \(index) changed after later runs")
        }
        #expect(kept[0].outputs == kept[1].outputs)
        #expect(kept[0].outputs == kept[6].outputs)
    }

    @Test func aRunThatFailsInAKernelLeavesTheSessionUsable() throws {
        var spec = Self.model
        spec.inputs = [("X", 1, [-1, -1])]
        spec.nodes[0].inputs[0] = "Z"
        spec.nodes.insert(.init(op: "Abs", inputs: ["X"], outputs: ["Z"]), at: 0)
        let model = try ReferenceModel(bytes: spec.bytes)
        var session = model.makeSession()
        let input = try Self.rows(4, seed: 5)
        let expected = try session.run(["X": .tensor(input)])
        let wrong = try Tensor(shape: [4, 2], floats: [Float](repeating: 1, count: 8))
        let error = try #require(throws: ReferenceError.self) { try session.run(tensors: ["X": wrong]) }
        #expect(error.code == .executionFailed)
        #expect(error.detail.contains("node MatMul -> 'P'"), "the error names the second node: \(error.detail)")
        #expect(try session.run(tensors: ["X": input]) == expected)
    }
}
