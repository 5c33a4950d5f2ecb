import ModelWatchReference
import Testing

/// The blocked float matrix multiply against a plain triple loop in double, on shapes that leave
/// remainders of every kind (rows not a multiple of four, columns not a multiple of eight).
@Suite struct MatrixMultiplyTests {
    @Test(arguments: [(1, 1, 1), (3, 5, 7), (4, 8, 8), (5, 20, 9), (13, 64, 33), (100, 32, 3)])
    func matchesThePlainLoop(_ shape: (Int, Int, Int)) throws {
        let (m, k, n) = shape
        var random = MutationTests.SplitMix64(state: UInt64(m * 10_000 + k * 100 + n))
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(random.below(2001) - 1000) / 250 } }
        let a = values(m * k)
        let b = values(k * n)
        var model = TestModel()
        model.inputs = [("X", 1, [-1, Int64(k)])]
        model.initializers = [TestModel.floatTensor("W", dims: [Int64(k), Int64(n)], values: b)]
        model.nodes = [.init(op: "MatMul", inputs: ["X", "W"], outputs: ["Y"])]
        var session = try ReferenceModel(bytes: model.bytes).makeSession()
        let output = try #require(try session.run(tensors: ["X": try Tensor(shape: [m, k], floats: a)])["Y"]?.tensor)
        #expect(output.shape == [m, n])
        let actual = try #require(output.doubleValues)
        for i in 0..<m {
            for j in 0..<n {
                var expected = 0.0
                for p in 0..<k { expected += Double(a[i * k + p]) * Double(b[p * n + j]) }
                #expect(abs(actual[i * n + j] - expected) <= 1e-4 * max(1, abs(expected)), "[\(i), \(j)]")
            }
        }
    }
}
