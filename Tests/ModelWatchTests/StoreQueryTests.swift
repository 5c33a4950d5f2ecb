import Foundation
import ModelWatchStore
import Testing

@testable import ModelWatch

@Suite("modelwatch query")
struct StoreQueryTests {
    static let now: Int64 = 1_767_225_600_000

    @Test(
        "times: now, relative, Unix seconds and RFC 3339",
        arguments: [
            ("now", now), ("now-15m", now - 900_000), ("-2h", now - 7_200_000), ("1767225600", now),
            ("1767225600.25", now + 250), ("2026-01-01T00:00:00Z", now), ("2026-01-01T01:00:00.5+01:00", now + 500),
        ])
    func times(_ text: String, _ expected: Int64) throws {
        #expect(try StoreQuery.time(text, now: Self.now) == expected)
    }

    @Test("a time that is none of those is refused with the accepted forms")
    func badTime() {
        #expect { try StoreQuery.time("yesterday", now: Self.now) } throws: { "\($0)".contains("RFC 3339") }
    }

    @Test("table and Prometheus matrix JSON, values printed as Prometheus prints them")
    func formats() throws {
        let key = SeriesKey(name: "m", labels: [.init("model", "a\"b")])
        let series = [
            SeriesSamples(
                key: key,
                samples: [Sample(timestamp: Self.now, value: 3), Sample(timestamp: Self.now + 1500, value: .infinity)])
        ]
        let json = StoreQuery.json(series)
        #expect(
            json
                == #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"m","model":"a\"b"},"values":[[1767225600.0,"3"],[1767225601.5,"+Inf"]]}]}}"#
        )
        #expect(try JSONSerialization.jsonObject(with: Data(json.utf8)) is [String: Any])
        let table = StoreQuery.table(series).split(separator: "\n")
        #expect(table.count == 3)
        #expect(table[1].hasPrefix(#"m{model="a\"b"}  2026-01-01T00:00:00.000Z  3"#))
        #expect(table[2].hasSuffix("+Inf"))
        #expect(StoreQuery.text(0.25) == "0.25" && StoreQuery.text(.nan) == "NaN" && StoreQuery.text(-.infinity) == "-Inf")
    }

    @Test("a missing file or a bad selector is an error that says so")
    func failures() {
        let missing = StoreQuery(database: "/nonexistent/modelwatch.db", selector: "m", start: nil, end: nil, format: .table)
        #expect { try missing.run(now: Self.now) } throws: { "\($0)".contains("no ModelWatch store") }
        let backwards = StoreQuery(database: "/nonexistent/modelwatch.db", selector: "m", start: "now", end: "now-1h", format: .json)
        #expect { try backwards.run(now: Self.now) } throws: { "\($0)".contains("--start is after --end") }
    }
}
