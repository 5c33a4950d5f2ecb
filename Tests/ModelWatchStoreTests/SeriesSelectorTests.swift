import ModelWatchStore
import Testing

@Suite("Series selectors")
struct SeriesSelectorTests {
    static let iris200 = SeriesKey(
        name: "modelwatch_requests_total", labels: [.init("model", "iris"), .init("code", "200"), .init("version", "1")])
    static let mnist503 = SeriesKey(name: "modelwatch_requests_total", labels: [.init("model", "mnist"), .init("code", "503")])

    @Test(
        "each PromQL matcher operator selects what Prometheus would",
        arguments: [
            (#"modelwatch_requests_total"#, [true, true]),
            (#"modelwatch_requests_total{model="iris"}"#, [true, false]),
            (#"modelwatch_requests_total{model!="iris"}"#, [false, true]),
            (#"modelwatch_requests_total{code=~"5.."}"#, [false, true]),
            (#"modelwatch_requests_total{code!~"5..", model=~"ir.*"}"#, [true, false]),
            // Anchored: "ir" alone does not match "iris".
            (#"modelwatch_requests_total{model=~"ir"}"#, [false, false]),
            // A label the series lacks reads as empty.
            (#"modelwatch_requests_total{version=""}"#, [false, true]),
            (#"{__name__=~"modelwatch_.*_total", model="mnist"}"#, [false, true]),
            (#"  modelwatch_requests_total { model = 'iris' , } "#, [true, false]),
            (#"modelwatch_request_duration_seconds"#, [false, false]),
        ])
    func matching(_ text: String, _ expected: [Bool]) throws {
        let selector = try SeriesSelector(parsing: text)
        #expect([Self.iris200, Self.mnist503].map(selector.matches) == expected, "\(text)")
    }

    @Test(
        "a selector that does not parse says where and what was expected",
        arguments: [
            (#"metric{model="iris""#, "position 20"),
            (#"metric{model=iris}"#, "expected a quoted label value"),
            (#"metric{model~"x"}"#, "one of =, !=, =~, !~"),
            (#"metric{code=~"(5"}"#, "is not a regular expression"),
            (#"{model=""}"#, "needs a metric name"),
            (#"metric extra"#, "expected the end of the selector"),
        ])
    func errors(_ text: String, _ expected: String) {
        #expect {
            try SeriesSelector(parsing: text)
        } throws: { error in
            let error = error as? StoreError
            return error?.code == .invalidSelector && error?.message.contains(expected) == true
        }
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
