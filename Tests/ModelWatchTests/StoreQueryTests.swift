import Foundation
import ModelWatchQuery
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

    @Test("table and Prometheus JSON, values and times printed as Prometheus prints them")
    func formats() throws {
        let labels = Labels([.init("__name__", "m"), .init("model", "a\"b")])
        let matrix = QueryValue.matrix([
            Series(labels: labels, points: [Point(timestamp: Self.now, value: 3), Point(timestamp: Self.now + 1500, value: .infinity)])
        ])
        let json = StoreQuery.json(matrix)
        #expect(
            json
                == #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"m","model":"a\"b"},"values":[[1767225600,"3"],[1767225601.500,"+Inf"]]}]}}"#
        )
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let data = try #require(parsed["data"] as? [String: Any])
        let first = try #require((data["result"] as? [[String: Any]])?.first?["values"] as? [[Any]])
        #expect(first.first?.first as? Double == 1_767_225_600)
        let vector = QueryValue.vector([VectorSample(labels: labels, timestamp: Self.now + 123, value: 0.1)])
        #expect(
            StoreQuery.json(vector)
                == #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"m","model":"a\"b"},"value":[1767225600.123,"0.1"]}]}}"#
        )
        #expect(
            StoreQuery.json(.scalar(timestamp: Self.now, value: 2))
                == #"{"status":"success","data":{"resultType":"scalar","result":[1767225600,"2"]}}"#)
        let table = StoreQuery.table(matrix).split(separator: "\n")
        #expect(table.count == 3)
        #expect(table[1].hasPrefix(#"m{model="a\"b"}  2026-01-01T00:00:00.000Z  3"#))
        #expect(table[2].hasSuffix("+Inf"))
    }

    @Test("a missing file, a bad expression or contradictory options are errors that say so")
    func failures() {
        let missing = StoreQuery(database: "/nonexistent/modelwatch.db", expression: "m", format: .table)
        #expect { try missing.run(now: Self.now) } throws: { "\($0)".contains("no ModelWatch store") }
        let backwards = StoreQuery(database: "/nonexistent/modelwatch.db", expression: "m", start: "now", end: "now-1h", format: .json)
        #expect { try backwards.run(now: Self.now) } throws: { "\($0)".contains("--start is after --end") }
        let bad = StoreQuery(database: "/nonexistent/modelwatch.db", expression: "sum(rate(m[5m])", format: .json)
        #expect { try bad.run(now: Self.now) } throws: { "\($0)".hasPrefix("1:16: parse error:") }
        let both = StoreQuery(database: "/nonexistent/modelwatch.db", expression: "m", time: "now", step: "15s", format: .json)
        #expect { try both.run(now: Self.now) } throws: { "\($0)".contains("--time") }
    }

    @Test("imported OpenMetrics text is what PromQL then reads: instant, range and raw samples")
    func importAndQuery() throws {
        let path = NSTemporaryDirectory() + "modelwatch-import-\(UUID().uuidString).sqlite"
        defer {
            for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        var text = "# HELP requests_total Requests.\n# TYPE requests_total counter\n"
        for step in 0...20 {
            let seconds = 1_767_225_600 + step * 15
            text += "requests_total{model=\"iris\",code=\"200\"} \(step * 3) \(seconds)\n"
            text += "requests_total{model=\"iris\",code=\"500\"} \(step) \(seconds).5 # {trace_id=\"x\"} 1 \(seconds)\n"
        }
        text += "# EOF\n"
        let summary = try OpenMetricsImport(database: path, text: text).run()
        #expect(summary.samples == 42 && summary.series == 2)

        let instant = StoreQuery(
            database: path, expression: "sum by (code) (rate(requests_total[5m]))", time: "1767225900", format: .json)
        let answer = try instant.run(now: Self.now)
        #expect(answer.contains(#"{"metric":{"code":"200"},"value":[1767225900,"0.2"]}"#), "\(answer)")
        // The 500s are scraped half a second after each step: at 1767225600 there is no sample yet.
        let range = StoreQuery(
            database: path, expression: "requests_total{code=\"500\"}", start: "1767225600", end: "1767225660", step: "30s",
            format: .json)
        #expect(try range.run(now: Self.now).contains(#""values":[[1767225630,"1"],[1767225660,"3"]]"#))
        let raw = StoreQuery(
            database: path, expression: "requests_total{code=\"500\"}", start: "1767225600", end: "1767225631", format: .json)
        #expect(try raw.run(now: Self.now).contains(#""values":[[1767225600.500,"0"],[1767225615.500,"1"],[1767225630.500,"2"]]"#))
    }

    @Test("a bare selector with no time prints the last hour of raw samples, as before PromQL; --time its value now")
    func bareSelector() throws {
        let path = NSTemporaryDirectory() + "modelwatch-import-\(UUID().uuidString).sqlite"
        defer {
            for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let now: Int64 = 1_767_225_600_000
        let text = (0..<10).map { "up{job=\"a\"} \($0) \(1_767_225_600 - 3_600 + $0 * 600)" }.joined(separator: "\n") + "\n# EOF\n"
        _ = try OpenMetricsImport(database: path, text: text).run()
        let raw = try StoreQuery(database: path, expression: "up", format: .json).run(now: now)
        #expect(raw.contains(#""resultType":"matrix""#) && raw.contains(#"[1767222000,"0"],[1767222600,"1"]"#), "\(raw)")
        let instant = try StoreQuery(database: path, expression: "up", time: "now", format: .json).run(now: now)
        #expect(
            instant
                == #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1767225600,"6"]}]}}"#
        )
    }

    @Test(
        "malformed or unsupported expressions, and bad times and steps, are refused before the file is read, with the position",
        arguments: [
            ("sum(rate(up[5m])", nil, nil, "1:17: parse error: unexpected end of input"),
            ("up{job=\"a\"", nil, nil, "1:11: parse error: unexpected end of input"),
            ("histogram_count(up)", nil, nil, "1:1: parse error: unknown function with name \"histogram_count\""),
            ("rate(up)", nil, nil, "1:6: parse error: expected type range vector"),
            ("up[5m]", nil, "15s", "invalid expression type \"range vector\" for range query"),
            ("up +", nil, nil, "1:5: parse error: unexpected end of input"),
            ("up", "yesterday", nil, "is not a time"),
            ("up", nil, "0s", "zero or negative query resolution step"),
            ("up", nil, "fast", "is not a step"),
            ("up", nil, "1ms", "exceeded maximum resolution of 11,000 points"),
            ("up", "1e300", nil, "is out of range"),
        ] as [(String, String?, String?, String)])
    func badQueries(_ expression: String, _ time: String?, _ step: String?, _ message: String) {
        // The file does not exist: every refusal here must come before it is opened.
        let query = StoreQuery(database: "/nonexistent/modelwatch.db", expression: expression, time: time, step: step, format: .json)
        #expect {
            try query.run(now: Self.now)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("a line that is not a sample with a timestamp is refused by number, and nothing is written")
    func badImport() {
        let path = NSTemporaryDirectory() + "modelwatch-import-\(UUID().uuidString).sqlite"
        #expect {
            try OpenMetricsImport(database: path, text: "a 1 10\nb 2\n").run()
        } throws: { "\($0)".contains("line 2") }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test(
        "sample values and timestamps read as Prometheus reads them, on the integer fast path and off it",
        arguments: [
            (" 12 1767225600", 12, 1_767_225_600_000),
            (" -7 1767225600.5", -7, 1_767_225_600_500),
            (" 1e3 1767225600.25", 1000, 1_767_225_600_250),
            (" 0.1 1767225600.125 # {a=\"b\"} 1", 0.1, 1_767_225_600_125),
            (" +Inf -1.5", .infinity, -1_500),
            (" 1234567890123456789 1767225600.0001", 1.2345678901234568e18, 1_767_225_600_000),
            (" 3 1.7672256e9", 3, 1_767_225_600_000),
        ] as [(String, Double, Int64)])
    func valueAndTime(_ text: String, _ value: Double, _ milliseconds: Int64) throws {
        let parsed = try #require(OpenMetricsImport.valueAndTime(ArraySlice(text.utf8)))
        #expect(parsed.0 == value && parsed.1 == milliseconds)
    }

    @Test("negative zero keeps its sign, and lines with trailing junk or no timestamp are refused")
    func valueAndTimeEdges() throws {
        let zero = try #require(OpenMetricsImport.valueAndTime(ArraySlice(" -0 10".utf8)))
        #expect(zero.0 == 0 && zero.0.sign == .minus && zero.1 == 10_000)
        #expect(OpenMetricsImport.valueAndTime(ArraySlice(" 1 10 junk".utf8)) == nil)
        #expect(OpenMetricsImport.valueAndTime(ArraySlice(" 1".utf8)) == nil)
        #expect(OpenMetricsImport.valueAndTime(ArraySlice(" 1 1e300".utf8)) == nil)
    }
}
