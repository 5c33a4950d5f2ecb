import ModelWatchStore
import Testing

@Suite("Series keys and selectors")
struct SeriesSelectorTests {
    static let iris200 = SeriesKey(
        name: "modelwatch_requests_total", labels: [.init("model", "iris"), .init("code", "200"), .init("version", "1")])
    static let mnist503 = SeriesKey(name: "modelwatch_requests_total", labels: [.init("model", "mnist"), .init("code", "503")])

    @Test("a selector matches a series when every matcher does; a missing label reads as empty")
    func matching() throws {
        let selector = SeriesSelector(matchers: [
            try LabelMatcher("__name__", .equal, "modelwatch_requests_total"), try LabelMatcher("version", .equal, ""),
        ])
        #expect([Self.iris200, Self.mnist503].map(selector.matches) == [false, true])
        #expect(selector.description == #"modelwatch_requests_total{version=""}"#)
    }

    @Test("a series key sorts its labels, so the same set in any order is the same series")
    func identity() {
        let reordered = SeriesKey(
            name: "modelwatch_requests_total", labels: [.init("version", "1"), .init("code", "200"), .init("model", "iris")])
        #expect(reordered == Self.iris200)
        #expect(reordered.labelsJSON == #"{"code":"200","model":"iris","version":"1"}"#)
        #expect(reordered.description == #"modelwatch_requests_total{code="200",model="iris",version="1"}"#)
        let awkward = SeriesKey(name: "m", labels: [.init("path", "a\"b\\c\nd\u{1}é")])
        #expect(awkward.labelsJSON == #"{"path":"a\"b\\c\nd\u0001é"}"#)
    }
}
