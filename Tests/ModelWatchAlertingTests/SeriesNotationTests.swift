import ModelWatchQuery
import Testing

@testable import ModelWatchAlerting

@Suite struct SeriesNotationTests {
    @Test(arguments: [
        ("1 2 3", [1.0, 2, 3]),
        ("0+10x3", [0.0, 10, 20, 30]),
        ("-2+4x3", [-2.0, 2, 6, 10]),
        ("1-2x4", [1.0, -1, -3, -5, -7]),
        ("1x4", [1.0, 1, 1, 1, 1]),
        ("0x10", Array(repeating: 0.0, count: 11)),
        ("1e3 1.5e-1+1e-1x1", [1000.0, 0.15, 0.25]),
    ])
    func expandsValues(_ text: String, _ expected: [Double]) {
        #expect(SeriesNotation.expand(text)?.map { $0 ?? -999 } == expected)
    }

    @Test func gapsAndStaleMarkers() throws {
        let values = try #require(SeriesNotation.expand("1 _x3 stale _"))
        #expect(values.count == 6)
        #expect(values[1] == nil && values[2] == nil && values[3] == nil && values[5] == nil)
        #expect(StaleMarker.isStale(try #require(values[4])))
    }

    @Test func refusesGarbage() {
        #expect(SeriesNotation.expand("1 two") == nil)
        #expect(SeriesNotation.expand("1+x3") == nil)
    }
}
