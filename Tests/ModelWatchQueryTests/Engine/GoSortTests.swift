import Testing

@testable import ModelWatchQuery

@Suite("Go's sort")
struct GoSortTests {
    @Test("sorts every length and pattern: random, sorted, reversed, few distinct values")
    func sorts() {
        var state: UInt64 = 42
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for length in [0, 1, 2, 12, 13, 49, 50, 51, 100, 1_000, 5_000] {
            let inputs: [[Int]] = [
                (0..<length).map { _ in random(1_000_000) }, Array(0..<length), Array((0..<length).reversed()),
                (0..<length).map { _ in random(3) }, (0..<length).map { $0 % 7 == 0 ? 0 : $0 },
            ]
            for input in inputs {
                var values = input
                GoSort.sort(&values) { $0 < $1 }
                #expect(values == input.sorted(), "length \(length)")
            }
        }
    }

    @Test("short slices keep equal values in input order, as Go's insertion sort does")
    func shortIsStable() {
        var values = [(1, "a"), (0, "b"), (1, "c"), (0, "d")]
        GoSort.sort(&values) { $0.0 < $1.0 }
        #expect(values.map(\.1) == ["b", "d", "a", "c"])
    }
}
