import Foundation
import ModelWatchDrift
import Testing

@Suite("Baselines: reading reference data, building, validating")
struct BaselineTests {
    @Test("CSV: quoted fields, embedded commas and quotes, CRLF, empty and NaN cells as missing")
    func csv() throws {
        let text = "a,b,\"label, text\"\r\n1.5,,\"x, \"\"y\"\"\"\r\nNaN,2,z\r\n\n3,4e2,plain\n"
        let table = try ReferenceTable.parseCSV(text, source: "test.csv")
        #expect(table.columns == ["a", "b", "label, text"])
        #expect(table.rowCount == 3)
        #expect(table.values(of: "a") == [.number(1.5), .missing, .number(3)])
        #expect(table.values(of: "b") == [.missing, .number(2), .number(400)])
        #expect(table.values(of: "label, text") == [.text("x, \"y\""), .text("z"), .text("plain")])
    }

    @Test("CSV: a ragged row and an unclosed quote are refused with the line")
    func badCSV() {
        #expect(throws: BaselineError.self) { try ReferenceTable.parseCSV("a,b\n1,2\n3\n", source: "t.csv") }
        do {
            _ = try ReferenceTable.parseCSV("a,b\n1,2\n3\n", source: "t.csv")
        } catch {
            #expect(error.detail == "t.csv:3: 1 fields, the header has 2")
        }
        #expect(throws: BaselineError.self) { try ReferenceTable.parseCSV("a\n\"open\n", source: "t.csv") }
    }

    @Test("JSON lines: nested arrays become indexed columns, null and absent keys are missing, booleans 0/1")
    func jsonLines() throws {
        let text = """
            {"x": [[1, 2], [3, 4]], "flag": true, "label": "cat"}
            {"x": [[5, 6], [7, 8]], "flag": null}

            {"x": [[9, 10], [11, 12]], "flag": false, "label": "dog", "extra": 1}
            """
        let table = try ReferenceTable.parseJSONLines(Array(text.utf8), source: "t.jsonl")
        #expect(table.columns == ["x[0]", "x[1]", "x[2]", "x[3]", "flag", "label", "extra"])
        #expect(table.values(of: "x[3]") == [.number(4), .number(8), .number(12)])
        #expect(table.values(of: "flag") == [.number(1), .missing, .number(0)])
        #expect(table.values(of: "label") == [.text("cat"), .missing, .text("dog")])
        #expect(table.values(of: "extra") == [.missing, .missing, .number(1)])
        #expect(throws: BaselineError.self) { try ReferenceTable.parseJSONLines(Array("{\"a\": 1}\n[1]\n".utf8), source: "t.jsonl") }
    }

    @Test("numeric reference: moments, quantile edges, a grid covering the range, counts that add up")
    func numericReference() throws {
        var samples = SeededSamples(seed: 5)
        let values = samples.normal(mean: 10, std: 2, count: 10_000)
        let reference = try BaselineBuilder().reference(name: "x", values: values.map { .number($0) } + [.missing, .number(.infinity)])
        let numeric = try #require(reference.numeric)
        #expect(reference.kind == .numeric)
        #expect(reference.count == 10_000)
        #expect(reference.missing == 2)
        #expect(abs(numeric.mean - 10) < 0.1)
        #expect(abs(numeric.std - 2) < 0.1)
        #expect(numeric.edges.count == 9)
        #expect(numeric.counts.allSatisfy { abs($0 - 1000) <= 1 })
        #expect(numeric.grid.lower == numeric.min)
        #expect(numeric.grid.upper > numeric.max)
        #expect(abs(numeric.grid.step - numeric.std / 100) < 1e-12)
        #expect(numeric.gridCounts.reduce(0, +) == 10_000)
        #expect(numeric.sample.count == 10_000)
    }

    @Test("discrete numbers collapse tied quantile edges; text and named columns become categorical with other")
    func discreteAndCategorical() throws {
        let counts = try BaselineBuilder().reference(name: "n", values: (0..<1000).map { .number(Double($0 % 3)) })
        #expect(counts.numeric?.edges == [1, 2])
        #expect(counts.numeric?.counts == [334, 333, 333])

        let labels = try BaselineBuilder(topK: 2, categorical: ["label"]).reference(
            name: "label", values: [1, 1, 1, 2, 2, 3, 4].map { .number($0) } + [.missing])
        #expect(labels.kind == .categorical)
        #expect(labels.categorical?.values == ["1", "2"])
        #expect(labels.categorical?.counts == [3, 2, 2])
        #expect(labels.missing == 1)
        #expect(throws: BaselineError.self) { try BaselineBuilder().reference(name: "empty", values: [.missing]) }
    }

    @Test("a baseline round-trips through its file, keeps its identifier, and damaged files are refused")
    func roundTripAndValidation() throws {
        var samples = SeededSamples(seed: 6)
        let baseline = try BaselineBuilder().build(
            model: "iris", source: "test", createdAt: "2026-11-23T00:00:00Z",
            features: [(name: "x", values: samples.normal(count: 2000).map { .number($0) })],
            outputs: [(name: "label", values: samples.categories([("a", 0.5), ("b", 0.5)], count: 2000).map { .text($0) })])
        let decoded = try Baseline.decode(baseline.encoded(), source: "memory")
        #expect(decoded == baseline)
        #expect(decoded.identifier == baseline.identifier)
        #expect(decoded.identifier.count == 16)

        func damaged(_ edit: (inout [String: Any]) -> Void) throws -> Data {
            var document = try #require(try JSONSerialization.jsonObject(with: baseline.encoded()) as? [String: Any])
            edit(&document)
            return try JSONSerialization.data(withJSONObject: document)
        }
        let newer = try damaged { $0["version"] = 99 }
        #expect(throws: BaselineError.self) { try Baseline.decode(newer, source: "newer") }
        let unsorted = try damaged { document in
            var features = document["features"] as! [[String: Any]]
            var numeric = features[0]["numeric"] as! [String: Any]
            numeric["edges"] = Array((numeric["edges"] as! [Double]).reversed())
            features[0]["numeric"] = numeric
            document["features"] = features
        }
        #expect(throws: BaselineError.self) { try Baseline.decode(unsorted, source: "unsorted") }
        #expect(throws: BaselineError.self) { try Baseline.decode(Data("{\"format\": \"other\"}".utf8), source: "other") }
        #expect(throws: BaselineError.self) { try Baseline.load(from: "/nonexistent/baseline.json") }
    }

    @Test("drift settings round-trip through their stored form; an unknown statistic is skipped, a bad document refused")
    func settingsDocument() throws {
        var settings = DriftSettings(windowMinutes: 5, samplePerMinute: 7, method: .evidently)
        settings.thresholds = DriftThresholds(psiWarn: 0.2, alert: [.psi: 0.3, .ksPValue: 0.01], minimumSamples: 123)
        let decoded = try DriftSettings.decode(settings.encoded(), source: "test.db")
        #expect(decoded == settings)

        let newer = #"{"window_minutes":60,"method":"histogram","min_samples":10,"psi_warn":0.1,"thresholds":{"psi":0.25,"energy":1}}"#
        #expect(try DriftSettings.decode(Array(newer.utf8), source: "test.db").thresholds.alert == [.psi: 0.25])
        #expect {
            try DriftSettings.decode(Array(#"{"window_minutes":60}"#.utf8), source: "test.db")
        } throws: { error in
            "\(error)".contains("test.db") && "\(error)".contains("missing field \"method\"")
        }
    }
}

@Suite("Per-minute histograms")
struct FeatureMinuteTests {
    @Test("a minute survives encoding bit for bit; truncated or altered bytes are refused")
    func coding() throws {
        var samples = SeededSamples(seed: 8)
        let reference = try BaselineBuilder().reference(name: "x", values: samples.normal(count: 5000).map { .number($0) })
        var histogram = FeatureHistogram(binning: FeatureBinning(reference))
        let values = samples.normal(mean: 0.3, std: 3, count: 700)
        for value in values { histogram.add(.number(value)) }
        histogram.add(.missing)
        let minute = histogram.sealed(sample: Array(values.prefix(50)).map { .number($0) } + [.text("é")])
        let bytes = minute.encoded()
        #expect(FeatureMinute(decoding: bytes) == minute)
        #expect(FeatureMinute(decoding: Array(bytes.dropLast())) == nil)
        #expect(FeatureMinute(decoding: bytes + [0]) == nil)
        var otherVersion = bytes
        otherVersion[0] = 9
        #expect(FeatureMinute(decoding: otherVersion) == nil)
        // Values beyond the grid are counted with their sums, so nothing is lost.
        guard case .numeric(let bins) = minute.bins else {
            Issue.record("not numeric")
            return
        }
        #expect(Int(bins.below + bins.above) + bins.grid.reduce(0) { $0 + Int($1.count) } == 700)
        #expect(minute.missing == 1)
    }

    @Test("a window is the exact sum of its minutes")
    func additive() throws {
        var samples = SeededSamples(seed: 9)
        let reference = try BaselineBuilder().reference(name: "x", values: samples.normal(count: 5000).map { .number($0) })
        let binning = FeatureBinning(reference)
        let values = samples.normal(count: 3000)
        var whole = FeatureHistogram(binning: binning)
        var window = FeatureHistogram(binning: binning)
        for part in stride(from: 0, to: 3000, by: 1000) {
            var minute = FeatureHistogram(binning: binning)
            for value in values[part..<part + 1000] {
                minute.add(.number(value))
                whole.add(.number(value))
            }
            let added = window.add(try #require(FeatureMinute(decoding: minute.sealed(sample: []).encoded())))
            #expect(added)
        }
        #expect(window.coarse == whole.coarse)
        #expect(window.grid == whole.grid)
        #expect(HistogramStatistics.evaluate(reference, window) == HistogramStatistics.evaluate(reference, whole))
    }
}
