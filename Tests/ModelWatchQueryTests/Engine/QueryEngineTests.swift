import ModelWatchQuery
import ModelWatchStore
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("Query engine")
struct QueryEngineTests {
    /// Two counters scraped every 15 s for 10 minutes: a{job="x"} grows by 1 per scrape, b{job="y"} by 2.
    static func source() -> InMemorySeriesSource {
        var source = InMemorySeriesSource()
        for step in 0...40 {
            let time = Int64(step) * 15_000
            source.append(Labels([.init("__name__", "requests_total"), .init("job", "x")]), timestamp: time, value: Double(step))
            source.append(Labels([.init("__name__", "requests_total"), .init("job", "y")]), timestamp: time, value: Double(2 * step))
        }
        source.finish()
        return source
    }

    @Test("rate over a window that covers whole scrapes is the per-second slope")
    func rate() throws {
        let engine = QueryEngine(source: Self.source())
        guard case .vector(let samples) = try engine.instantQuery("sum by (job) (rate(requests_total[5m]))", at: 600_000) else {
            Issue.record("not a vector")
            return
        }
        let byJob = Dictionary(uniqueKeysWithValues: samples.map { ($0.labels["job"], $0.value) })
        #expect(abs((byJob["x"] ?? 0) - 1.0 / 15) < 1e-12)
        #expect(abs((byJob["y"] ?? 0) - 2.0 / 15) < 1e-12)
    }

    @Test("A range query gives one point per step, series sorted by labels")
    func rangeQuery() throws {
        let engine = QueryEngine(source: Self.source())
        guard case .matrix(let series) = try engine.rangeQuery("requests_total * 2", start: 0, end: 120_000, step: 60_000) else {
            Issue.record("not a matrix")
            return
        }
        #expect(series.map { $0.labels["job"] } == ["x", "y"])
        #expect(series[0].points.map(\.value) == [0, 8, 16])
        #expect(series[0].labels["__name__"] == "")
    }

    @Test("Many-to-many matching fails with Prometheus's message")
    func manyToMany() throws {
        let engine = QueryEngine(source: Self.source())
        #expect {
            _ = try engine.instantQuery("requests_total + on() requests_total", at: 60_000)
        } throws: { error in
            (error as? QueryError)?.code == .execution && "\(error)".contains("many-to-many matching not allowed")
        }
    }

    @Test("A query over the sample limit fails cleanly")
    func sampleLimit() throws {
        var options = QueryEngine.Options()
        options.maxSamples = 50
        let engine = QueryEngine(source: Self.source(), options: options)
        #expect {
            _ = try engine.instantQuery("count_over_time(requests_total[10m])", at: 600_000)
        } throws: { error in
            (error as? QueryError)?.code == .tooManySamples
        }
    }

    @Test("A query past its timeout fails with a timeout error")
    func timeout() throws {
        var options = QueryEngine.Options()
        options.timeout = .zero
        let engine = QueryEngine(source: Self.source(), options: options)
        #expect {
            _ = try engine.rangeQuery("requests_total", start: 0, end: 600_000, step: 15_000)
        } throws: { error in
            (error as? QueryError)?.code == .timeout
        }
    }

    @Test("Extreme offsets, @ times and ranges are answered or refused, never a trap")
    func extremes() throws {
        let engine = QueryEngine(source: Self.source())
        for expression in [
            "absent(requests_total offset 290y)", "requests_total @ 4611686018427387 offset -290y", "count_over_time(requests_total[290y])",
            "absent_over_time(requests_total[1m] @ -4611686018427387 offset 290y)", "max_over_time(vector(1)[200y:100y])",
        ] {
            _ = try engine.instantQuery(expression, at: 600_000)
        }
        #expect(throws: QueryError.self) { try engine.instantQuery("requests_total @ 1e300", at: 0) }
        #expect(throws: QueryError.self) { try engine.instantQuery("requests_total", at: Int64.max) }
        _ = try engine.rangeQuery("requests_total", start: 0, end: QueryEngine.latestTime, step: Int64.max)
    }

    @Test("The store is a series source: what was appended is what PromQL reads")
    func storeSource() throws {
        let path = "/tmp/modelwatch-query-test-\(UInt64.random(in: 0...UInt64.max)).sqlite"
        defer {
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        }
        do {
            let store = try TimeSeriesStore(path: path)
            for step in 0...10 {
                _ = try store.append([(SeriesKey(name: "up", labels: [.init("job", "a")]), Double(step))], at: Int64(step) * 10_000)
            }
        }
        let engine = QueryEngine(source: StoreSeriesSource(store: try TimeSeriesStore(readingFrom: path)))
        guard case .vector(let samples) = try engine.instantQuery("max_over_time(up{job=\"a\"}[1m])", at: 100_000) else {
            Issue.record("not a vector")
            return
        }
        #expect(samples.count == 1)
        #expect(samples.first?.value == 10)
        #expect(samples.first?.labels == Labels([.init("job", "a")]))
    }

    @Test("label_replace expands groups as Go's regexp does: $1, ${name}, (?P<name>…), $$, unknown groups empty")
    func labelReplace() throws {
        let engine = QueryEngine(source: Self.source())
        let cases: [(String, String)] = [
            (#"label_replace(requests_total{job="x"}, "dst", "$1-${1}", "job", "(.*)")"#, "x-x"),
            (#"label_replace(requests_total{job="x"}, "dst", "<$name>", "job", "(?P<name>x)")"#, "<x>"),
            (#"label_replace(requests_total{job="x"}, "dst", "$$1 $1x $2", "job", "(x)")"#, "$1  "),
        ]
        for (expression, expected) in cases {
            guard case .vector(let samples) = try engine.instantQuery(expression, at: 60_000) else {
                Issue.record("not a vector: \(expression)")
                continue
            }
            #expect(samples.first?.labels["dst"] == expected, "\(expression)")
        }
    }

    @Test("A range query may not hold two series with one label set at a step")
    func duplicateLabelSets() {
        let engine = QueryEngine(source: Self.source())
        #expect {
            _ = try engine.rangeQuery(#"label_replace(requests_total, "job", "same", "", "")"#, start: 0, end: 60_000, step: 30_000)
        } throws: { error in
            "\(error)" == "vector cannot contain metrics with the same labelset"
        }
    }

    @Test(
        "Values print as Go's FormatFloat 'f' -1",
        arguments: [
            (2.0, "2"), (0.1, "0.1"), (-1.5, "-1.5"), (1e21, "1000000000000000000000"), (1.5e-7, "0.00000015"),
            (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (Double.nan, "NaN"), (123456.789, "123456.789"),
        ])
    func goFloat(_ value: Double, _ text: String) {
        #expect(GoFloat.format(value) == text)
    }
}

@Suite("Date functions")
struct DateFunctionTests {
    @Test(
        "calendar fields in UTC, leap days and NaN included (NaN reads as Go's int64(NaN), never a trap)",
        arguments: [
            ("year(vector(1709164800))", 2024.0), ("month(vector(1709164800))", 2), ("day_of_month(vector(1709164800))", 29),
            ("day_of_year(vector(1709164800))", 60), ("days_in_month(vector(1709164800))", 29), ("day_of_week(vector(1709164800))", 4),
            ("hour(vector(1709164800 + 3 * 3600 + 25 * 60))", 3), ("minute(vector(1709164800 + 3 * 3600 + 25 * 60))", 25),
            ("year(vector(-1))", 1969), ("day_of_week(vector(0))", 4), ("month(vector(951782400))", 2),
            ("days_in_month(vector(4107507200))", 28), ("days_in_month(vector(4107542400))", 31),
            // What Prometheus 2.42 answers for NaN (Go's int64(NaN) is the smallest int64).
            ("hour(vector(NaN))", 15), ("minute(vector(NaN))", 30), ("year(vector(NaN))", 292_277_026_596), ("month(vector(NaN))", 12),
            ("day_of_month(vector(NaN))", 4), ("day_of_year(vector(NaN))", 339), ("day_of_week(vector(NaN))", 0),
        ])
    func fields(_ expression: String, _ expected: Double) throws {
        let engine = QueryEngine(source: InMemorySeriesSource())
        guard case .vector(let samples) = try engine.instantQuery(expression, at: 0) else {
            Issue.record("not a vector")
            return
        }
        #expect(samples.first?.value == expected, "\(expression)")
    }
}
