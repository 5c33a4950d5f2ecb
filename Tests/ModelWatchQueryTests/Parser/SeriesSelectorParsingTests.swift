import ModelWatchQuery
import ModelWatchStore
import Testing

@Suite("Series selectors parsed by the PromQL parser")
struct SeriesSelectorParsingTests {
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
        "a selector that does not parse says where and what was wrong",
        arguments: [
            (#"metric{model="iris""#, "1:20: parse error: unexpected end of input in label matching"),
            (#"metric{model=iris}"#, "1:14: parse error: unexpected identifier \"iris\" in label matching, expected string"),
            (#"metric{model~"x"}"#, "1:13: parse error: unexpected character: '~'"),
            (#"metric{code=~"(5"}"#, "1:14: parse error: invalid regular expression \"(5\""),
            (#"{model=""}"#, "1:1: parse error: vector selector must contain at least one non-empty matcher"),
            (#"metric extra"#, "1:8: parse error: unexpected identifier \"extra\""),
            (#"rate(metric[5m])"#, "1:1: parse error: expected a series selector"),
            (#"metric offset 5m"#, "1:1: parse error: expected a series selector"),
        ])
    func errors(_ text: String, _ expected: String) {
        #expect {
            try SeriesSelector(parsing: text)
        } throws: { error in
            (error as? QueryError)?.code == .parse && "\(error)".hasPrefix(expected)
        }
    }
}
