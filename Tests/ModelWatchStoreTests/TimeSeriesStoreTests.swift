import Foundation
import ModelWatchStore
import Testing

@Suite("Time-series store")
struct TimeSeriesStoreTests {
    static let hour: Int64 = 3_600_000
    /// 2026-01-01T00:00:00Z, a span boundary.
    static let start: Int64 = 1_767_225_600_000

    static func key(_ model: String, code: String = "200") -> SeriesKey {
        SeriesKey(name: "modelwatch_requests_total", labels: [.init("model", model), .init("code", code)])
    }

    /// Appends one snapshot every `step` ms from `from` (inclusive) to `to` (exclusive): per model
    /// a counter rising by 1 per snapshot.
    static func record(_ store: TimeSeriesStore, models: [String], from: Int64, to: Int64, step: Int64 = 10_000) throws {
        var timestamp = from
        while timestamp < to {
            let count = Double((timestamp - Self.start) / step)
            try store.append(models.map { (Self.key($0), count) }, at: timestamp)
            timestamp += step
        }
    }

    /// Maintenance to the end, then the checkpoint the recorder takes after it.
    static func finishMaintenance(_ store: TimeSeriesStore, now: Int64) throws {
        while try store.maintain(now: now).moreWork {}
        try store.checkpoint()
    }

    @Test("answers agree with the sqlite3 shell reading the same file, for every matcher")
    func agreesWithShell() throws {
        try withTemporaryDatabase { path in
            let store = try TimeSeriesStore(path: path)
            try Self.record(store, models: ["iris", "mnist", "resnet"], from: Self.start, to: Self.start + 600_000)
            try store.append([(Self.key("iris", code: "503"), 2)], at: Self.start + 150_000)

            for (selector, sql) in [
                (try LabelMatcher("model", .equal, "iris"), "labels->>'model' = 'iris'"),
                (try LabelMatcher("model", .notEqual, "iris"), "labels->>'model' != 'iris'"),
                (try LabelMatcher("model", .matches, "i.*|m.*"), "labels->>'model' GLOB 'i*' OR labels->>'model' GLOB 'm*'"),
                (try LabelMatcher("code", .notMatches, "2.."), "labels->>'code' NOT GLOB '2??'"),
            ] {
                let answer = try store.select(
                    .named("modelwatch_requests_total", selector), from: Self.start + 100_000, through: Self.start + 300_000)
                let flattened = answer.flatMap { series in series.samples.map { "\(series.key.labelsJSON)|\($0.timestamp)|\($0.value)" } }
                let shell = try SQLiteShell.query(
                    path,
                    """
                    SELECT s.labels, d.ts, printf('%.1f', d.value) FROM samples d JOIN series s ON s.id = d.series_id
                    WHERE s.name = 'modelwatch_requests_total' AND (\(sql)) AND d.ts BETWEEN \(Self.start + 100_000) AND \(Self.start + 300_000)
                    ORDER BY s.labels, d.ts
                    """)
                #expect(!shell.isEmpty)
                // The store sorts series by their text form, which for these labels is the JSON order too.
                #expect(flattened.sorted() == shell.sorted(), "\(selector)")
            }
        }
    }

    @Test("finished spans are packed into chunks and still read back sample for sample")
    func compaction() throws {
        try withTemporaryDatabase { path in
            let store = try TimeSeriesStore(path: path)
            let end = Self.start + 3 * Self.hour + 20 * 60_000
            try Self.record(store, models: ["iris", "mnist"], from: Self.start, to: end)
            let selector = try SeriesSelector.named("modelwatch_requests_total")
            let before = try store.select(selector, from: Self.start, through: end)
            #expect(before.map(\.samples.count) == [1_200, 1_200])

            try Self.finishMaintenance(store, now: end)
            // Three whole hours are chunks, one per series and hour; the 20 minutes of the current hour are rows.
            #expect(try SQLiteShell.query(path, "SELECT count(*), sum(count) FROM chunks WHERE resolution = 0") == ["6|2160"])
            #expect(try SQLiteShell.query(path, "SELECT count(*), min(ts) FROM samples") == ["240|\(Self.start + 3 * Self.hour)"])
            let after = try store.select(selector, from: Self.start, through: end)
            #expect(after == before)
            // A range that starts and ends inside chunks.
            let middle = try store.select(selector, from: Self.start + Self.hour / 2, through: Self.start + 3 * Self.hour + 5_000)
            #expect(middle.map(\.samples.count) == [180 + 2 * 360 + 1, 180 + 2 * 360 + 1])
            #expect(middle[0].samples.first?.timestamp == Self.start + Self.hour / 2)
            #expect(middle[0].samples.last?.timestamp == Self.start + 3 * Self.hour)
        }
    }

    @Test("a backfill packs finished spans into chunks at once, keeps history older than retention, and reads back as recorded")
    func backfill() throws {
        try withTemporaryDatabase { path in
            let store = try TimeSeriesStore(path: path, configuration: StoreConfiguration(retention: .seconds(3_600)))
            // Two and a half hours of 10 s samples, out of order and with one timestamp twice (the later value wins).
            var iris = (0..<900).map { Sample(timestamp: Self.start + Int64($0) * 10_000, value: Double($0)) }
            iris.swapAt(10, 500)
            iris.append(Sample(timestamp: Self.start + 20_000, value: -1))
            let mnist = [Sample(timestamp: Self.start + 5_000, value: .nan)]
            let now = Self.start + 2 * Self.hour + 30 * 60_000
            let written = try store.backfill([(Self.key("iris"), iris), (Self.key("mnist"), mnist)], now: now)
            #expect(written == 901)
            // Checkpointed at once: readers find the history in the file, not in the write-ahead log.
            #expect((try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) == 0)
            // The two finished hours are chunks, one per series and hour; the current half hour stays rows.
            #expect(try SQLiteShell.query(path, "SELECT count(*), sum(count) FROM chunks WHERE resolution = 0") == ["3|721"])
            #expect(try SQLiteShell.query(path, "SELECT count(*), min(ts) FROM samples") == ["180|\(Self.start + 2 * Self.hour)"])

            let answer = try store.select(.named("modelwatch_requests_total"), from: Self.start, through: now)
            #expect(answer.map(\.key) == [Self.key("iris"), Self.key("mnist")])
            var expected = (0..<900).map { Sample(timestamp: Self.start + Int64($0) * 10_000, value: Double($0)) }
            expected[2].value = -1
            #expect(answer[0].samples == expected)
            #expect(answer[1].samples.count == 1 && answer[1].samples[0].value.isNaN)
            // Retention (one hour) is the sidecar's maintenance to apply, not the backfill's.
            #expect(try store.select(.named("modelwatch_requests_total"), from: Self.start, through: Self.start).count == 1)
        }
    }

    @Test("samples past retention are deleted, and a series with none left is forgotten")
    func retention() throws {
        try withTemporaryDatabase { path in
            let store = try TimeSeriesStore(path: path, configuration: StoreConfiguration(retention: .seconds(2 * 3_600)))
            try Self.record(store, models: ["old"], from: Self.start, to: Self.start + Self.hour)
            try Self.record(store, models: ["live"], from: Self.start, to: Self.start + 5 * Self.hour)
            let now = Self.start + 5 * Self.hour
            try Self.finishMaintenance(store, now: now)

            let live = try store.select(
                .named("modelwatch_requests_total", try LabelMatcher("model", .equal, "live")), from: 0, through: now)
            let oldest = try #require(live.first?.samples.first?.timestamp)
            // Whole chunks go: what is kept reaches back at least the retention and less than one span more.
            #expect(oldest <= now - 2 * Self.hour && oldest > now - 3 * Self.hour, "oldest \(oldest - now)")
            #expect(
                try store.select(.named("modelwatch_requests_total", try LabelMatcher("model", .equal, "old")), from: 0, through: now)
                    .isEmpty)
            #expect(try SQLiteShell.query(path, "SELECT labels FROM series") == [#"{"code":"200","model":"live"}"#])
            #expect(try SQLiteShell.query(path, "SELECT count(*) FROM chunks WHERE last_ts < \(now - 3 * Self.hour)") == ["0"])
        }
    }

    @Test("a coarser copy outlives the raw samples and fills in before them")
    func downsampling() throws {
        try withTemporaryDatabase { path in
            let configuration = StoreConfiguration(
                retention: .seconds(3_600),
                downsampling: .init(resolution: .seconds(600), retention: .seconds(86_400)))
            let store = try TimeSeriesStore(path: path, configuration: configuration)
            let now = Self.start + 4 * Self.hour
            try Self.record(store, models: ["iris"], from: Self.start, to: now)
            try Self.finishMaintenance(store, now: now)

            let series = try #require(try store.select(.named("modelwatch_requests_total"), from: 0, through: now).first)
            let coarse = series.samples.filter { $0.timestamp < now - Self.hour }
            // Three hours past raw retention, kept as the last sample of each 10 minutes: 18 samples, the counter exact in each.
            #expect(coarse.count == 18)
            #expect(coarse.allSatisfy { ($0.timestamp + 10_000) % 600_000 == 0 })
            #expect(coarse.allSatisfy { $0.value == Double(($0.timestamp - Self.start) / 10_000) })
            let raw = series.samples.filter { $0.timestamp >= now - Self.hour }
            #expect(raw.count == 360)
            #expect(zip(series.samples, series.samples.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
        }
    }

    @Test("NaN, infinities and awkward label values survive rows and chunks")
    func unusualValues() throws {
        try withTemporaryDatabase { path in
            let store = try TimeSeriesStore(path: path)
            let key = SeriesKey(name: "odd", labels: [.init("path", "a\"b\\c\nd\u{1}é"), .init("le", "+Inf")])
            // (SQLite keeps no sign on a zero, so -0.0 is not among them.)
            let values: [Double] = [.nan, .infinity, -.infinity, 0.1 + 0.2, .leastNonzeroMagnitude]
            for (index, value) in values.enumerated() { try store.append([(key, value)], at: Self.start + Int64(index)) }
            func check() throws {
                let series = try #require(
                    try store.select(.named("odd"), from: Self.start, through: Self.start + 10).first)
                #expect(series.key == key)
                #expect(series.samples.count == values.count)
                #expect(series.samples[0].value.isNaN)
                #expect(series.samples.dropFirst().map(\.value.bitPattern) == values.dropFirst().map(\.bitPattern))
            }
            try check()
            try Self.finishMaintenance(store, now: Self.start + 2 * Self.hour)
            #expect(try SQLiteShell.query(path, "SELECT count(*) FROM samples") == ["0"])
            try check()
        }
    }

    @Test("the file stays the same size under steady load once retention turns over")
    func boundedSize() throws {
        try withTemporaryDatabase { path in
            let store = try TimeSeriesStore(path: path, configuration: StoreConfiguration(retention: .seconds(86_400)))
            let models = (0..<30).map { "model-\($0)" }
            var sizes: [Int64] = []
            for day in 0..<4 {
                let from = Self.start + Int64(day) * 24 * Self.hour
                var hour = from
                while hour < from + 24 * Self.hour {
                    try Self.record(store, models: models, from: hour, to: hour + Self.hour, step: 60_000)
                    hour += Self.hour
                    try Self.finishMaintenance(store, now: hour)
                }
                sizes.append(store.sizeInBytes)
            }
            // Day one fills the retention; later days replace it without growing the file.
            #expect(sizes[3] <= sizes[1] + sizes[1] / 4, "\(sizes)")
            #expect(try store.integrityCheck() == ["ok"])
        }
    }

    @Test("the page caches stay within their bound while the file grows past it, written and read")
    func boundedPageCache() throws {
        try withTemporaryDatabase { path in
            let store = try TimeSeriesStore(path: path)
            let models = (0..<200).map { "model-\($0)" }
            let end = Self.start + 3 * Self.hour
            try Self.record(store, models: models, from: Self.start, to: end)
            let everything = try store.select(.named("modelwatch_requests_total"), from: Self.start, through: end)
            #expect(everything.count == 200)
            try Self.finishMaintenance(store, now: end)
            _ = try store.select(.named("modelwatch_requests_total"), from: Self.start, through: end)
            // With SQLite's default of 2 MiB a connection the writer alone held 1.5 MiB of this
            // 15 MiB store. The bound is 1 MiB each (64 pages and their headers), and the reader,
            // which reads the file through its mapping, caches little beside the writer.
            #expect(store.sizeInBytes > 8 << 20, "\(store.sizeInBytes)")
            #expect(store.pageCacheBytes > 0)
            #expect(store.pageCacheBytes <= 1_280 * 1_024, "\(store.pageCacheBytes)")
        }
    }

    @Test("history is there after the store is closed and opened again")
    func reopen() throws {
        try withTemporaryDatabase { path in
            do {
                let store = try TimeSeriesStore(path: path)
                try Self.record(store, models: ["iris"], from: Self.start, to: Self.start + 100_000)
            }
            let again = try TimeSeriesStore(path: path)
            try Self.record(again, models: ["iris"], from: Self.start + 100_000, to: Self.start + 200_000)
            let samples = try again.select(
                .named("modelwatch_requests_total"), from: Self.start, through: Self.start + 200_000)
            #expect(samples.map(\.samples.count) == [20])
            #expect(try SQLiteShell.query(path, "SELECT count(*) FROM series") == ["1"])
            #expect(try SQLiteShell.query(path, "PRAGMA journal_mode") == ["wal"])
        }
    }

    @Test("a reader opened on the file sees what the writer committed, and cannot write")
    func readOnly() throws {
        try withTemporaryDatabase { path in
            #expect(throws: StoreError.self) { try TimeSeriesStore(readingFrom: path) }
            let store = try TimeSeriesStore(path: path)
            try Self.record(store, models: ["iris"], from: Self.start, to: Self.start + 50_000)
            let reader = try TimeSeriesStore(readingFrom: path)
            let selector = try SeriesSelector.named("modelwatch_requests_total")
            #expect(try reader.select(selector, from: Self.start, through: Self.start + 50_000).first?.samples.count == 5)
            try Self.record(store, models: ["iris"], from: Self.start + 50_000, to: Self.start + 60_000)
            #expect(try reader.select(selector, from: Self.start, through: Self.start + 60_000).first?.samples.count == 6)
            #expect { try reader.append([(Self.key("iris"), 1)], at: Self.start) } throws: { ($0 as? StoreError)?.code == .readOnly }
        }
    }

    @Test("a second writer on the same file is refused with a clear error")
    func secondWriter() throws {
        try withTemporaryDatabase { path in
            let store = try TimeSeriesStore(path: path)
            #expect {
                try TimeSeriesStore(path: path)
            } throws: { error in
                let error = error as? StoreError
                return error?.code == .locked && error?.message.contains("in use by another ModelWatch process") == true
            }
            try store.append([(Self.key("iris"), 1)], at: Self.start)
        }
    }

    @Test("a file whose write lock the sqlite3 shell holds gives a clear error at open")
    func lockedByShell() throws {
        try withTemporaryDatabase { path in
            _ = try SQLiteShell.query(path, "PRAGMA journal_mode = WAL; CREATE TABLE held (x);")
            let shell = try SQLiteShell.start(path)
            defer {
                // The shell ignores SIGTERM; the end of its input ends it.
                try? shell.input.close()
                shell.process.waitUntilExit()
            }
            shell.input.write(Data("BEGIN EXCLUSIVE;\nINSERT INTO held VALUES (1);\n".utf8))
            // Give the shell a moment to take the lock.
            Thread.sleep(forTimeInterval: 0.5)
            #expect {
                try TimeSeriesStore(path: path, configuration: StoreConfiguration(busyTimeout: .milliseconds(200)))
            } throws: { error in
                let error = error as? StoreError
                return error?.code == .locked && error?.message.contains(path) == true
            }
        }
    }

    @Test("files that are not a store of this version are refused, not misread")
    func foreignFiles() throws {
        try withTemporaryDatabase { path in
            _ = try SQLiteShell.query(path, "PRAGMA user_version = 99; CREATE TABLE x (y);")
            #expect { try TimeSeriesStore(path: path) } throws: { ($0 as? StoreError)?.code == .schemaTooNew }
            #expect { try TimeSeriesStore(readingFrom: path) } throws: { ($0 as? StoreError)?.code == .schemaTooNew }
        }
        try withTemporaryDatabase { path in
            try Data(String(repeating: "not a database ", count: 500).utf8).write(to: URL(fileURLWithPath: path))
            #expect { try TimeSeriesStore(path: path) } throws: { ($0 as? StoreError)?.code == .corrupt }
        }
    }
}

@Suite("Drift minutes and baselines in the store")
struct DriftRecordTests {
    @Test("minutes are filed by model and minute, replaced when written again, expired with retention; baselines kept by id")
    func driftMinutes() throws {
        try withTemporaryDatabase { path in
            let store = try TimeSeriesStore(path: path, configuration: StoreConfiguration(retention: .seconds(3600)))
            let now: Int64 = 1_800_000_000_000
            let records = (0..<3).map { minute in
                DriftMinuteRecord(
                    model: "iris", minute: now - Int64(minute) * 3_600_000, role: "feature", name: "x", baseline: "b1",
                    data: [1, 2, UInt8(minute)])
            }
            try store.appendDriftMinutes(
                records + [DriftMinuteRecord(model: "other", minute: now, role: "output", name: "y", baseline: "", data: [])])
            try store.appendDriftMinutes([
                DriftMinuteRecord(model: "iris", minute: now, role: "feature", name: "x", baseline: "b1", data: [9])
            ])
            let read = try store.driftMinutes(model: "iris", from: now - 10_800_000, before: now + 1)
            #expect(read.map(\.minute) == [now - 7_200_000, now - 3_600_000, now])
            #expect(read.last?.data == [9])
            #expect(try SQLiteShell.query(path, "SELECT count(*) FROM drift_minutes") == ["4"])

            try store.saveBaseline(id: "b1", model: "iris", document: Array("{}".utf8), at: now - 1)
            try store.saveBaseline(id: "b2", model: "iris", document: Array("{\"v\":2}".utf8), at: now)
            #expect(try store.baseline(model: "iris")?.id == "b2")
            #expect(try store.baseline(model: "iris", id: "b1")?.document == Array("{}".utf8))
            #expect(try store.baseline(model: "churn") == nil)

            // Retention of one hour: the minute two hours old goes, the one an hour old is still inside.
            while try store.maintain(now: now).moreWork {}
            #expect(try store.driftMinutes(model: "iris", from: 0, before: .max).map(\.minute) == [now - 3_600_000, now])
            #expect(try SQLiteShell.query(path, "SELECT count(*) FROM drift_minutes") == ["3"])
        }
    }

    @Test("settings are filed by name, replaced when saved again, and read back by a reader of the file alone")
    func settings() throws {
        try withTemporaryDatabase { path in
            let now: Int64 = 1_800_000_000_000
            do {
                let store = try TimeSeriesStore(path: path)
                #expect(try store.setting(name: "drift") == nil)
                try store.saveSetting(name: "drift", document: Array("{\"v\":1}".utf8), at: now - 1)
                try store.saveSetting(name: "drift", document: Array("{\"v\":2}".utf8), at: now)
            }
            let reader = try TimeSeriesStore(readingFrom: path)
            let stored = try #require(try reader.setting(name: "drift"))
            #expect(stored.savedAt == now)
            #expect(stored.document == Array("{\"v\":2}".utf8))
            #expect(try SQLiteShell.query(path, "SELECT count(*) FROM settings") == ["1"])
        }
    }
}

extension SeriesSelector {
    /// `name{matchers…}`, built without text: parsing selectors is ModelWatchQuery's job.
    static func named(_ name: String, _ matchers: LabelMatcher...) throws -> SeriesSelector {
        SeriesSelector(matchers: [try LabelMatcher("__name__", .equal, name)] + matchers)
    }
}
