import ModelWatchReference
import TestSupport
import Testing

/// Randomly mutated model files (a fixed seed, so every run sees the same corpus): each one either
/// loads and runs or is refused with a ``ReferenceError``; none crashes or hangs the process.
@Suite struct MutationTests {
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(self.next() % UInt64(max(bound, 1))) }
    }

    /// A model with many operator kinds, so mutations reach many kernels' attribute and shape checks.
    static var seedModel: TestModel {
        var model = ModelReaderTests.dense()
        model.initializers.append(TestModel.floatTensor("Shape", dims: [2], values: [0, 0]))
        model.nodes = [
            .init(op: "MatMul", inputs: ["X", "W"], outputs: ["P"]),
            .init(op: "Add", inputs: ["P", "B"], outputs: ["S"]),
            .init(op: "Relu", inputs: ["S"], outputs: ["R"]),
            .init(
                op: "Softmax", inputs: ["R"], outputs: ["M"],
                attributes: [
                    { writer in
                        writer.string(1, "axis")
                        writer.int(20, 2)
                        writer.int(3, -1)
                    }
                ]),
            .init(op: "Transpose", inputs: ["M"], outputs: ["T"], attributes: [TestModel.intsAttribute("perm", [1, 0])]),
            .init(op: "Transpose", inputs: ["T"], outputs: ["U"]),
            .init(op: "ReduceSum", inputs: ["U"], outputs: ["V"]),
            .init(op: "Add", inputs: ["U", "V"], outputs: ["Y"]),
        ]
        return model
    }

    @Test func mutatedModelsAreRefusedCleanly() async throws {
        let original = Self.seedModel.bytes
        var session = try ReferenceModel(bytes: original).makeSession()
        let input = try Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        #expect(try session.run(tensors: ["X": input])["Y"] != nil)
        // Seconds of work: on a thread of its own, so the tests that talk to servers keep Swift
        // concurrency's two threads.
        let outcomes = try await onOwnThread { Self.mutate(original, input: input, count: 3000) }
        print("mutated models: \(outcomes.sorted { $0.key < $1.key })")
        #expect(outcomes.values.reduce(0, +) > 2500)
        #expect((outcomes["malformed"] ?? 0) > 0)
    }

    /// Runs `count` random mutations of `original`: how many ran, and how many were refused, by error code.
    static func mutate(_ original: [UInt8], input: Tensor, count: Int) -> [String: Int] {
        var random = SplitMix64(state: 15)
        var outcomes: [String: Int] = [:]
        for _ in 0..<count {
            var bytes = original
            for _ in 0..<(1 + random.below(4)) {
                switch random.below(5) {
                case 0: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8))
                case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: random.below(bytes.count))
                case 3: if bytes.count > 1 { bytes.remove(at: random.below(bytes.count)) }
                default: bytes = Array(bytes.prefix(random.below(bytes.count) + 1))
                }
            }
            do {
                var mutated = try ReferenceModel(bytes: bytes).makeSession()
                let output = try mutated.run(tensors: ["X": input])
                outcomes["ran", default: 0] += output.isEmpty ? 0 : 1
            } catch {
                outcomes[error.code.description, default: 0] += 1
            }
        }
        return outcomes
    }
}
