import Foundation
import NIOCore
import Testing

/// The SQLite history as a user meets it: a real `modelwatch` recording into a real file, read
/// back with `modelwatch query` and the `sqlite3` shell, through restarts, SIGKILLs, a full disk
/// and a second sidecar pointed at the same file.
@Suite("SQLite store", .serialized, .timeLimit(.minutes(5)))
struct StoreTests {
    static let fast = "storage:\n  scrape_interval: 100ms\n"

    @Test("every series is recorded with its labels, read back by `modelwatch query` and sqlite3 alike, across a restart")
    func recordsAndSurvivesRestart() async throws {
        let sqlite3 = try #require(Tool.find("sqlite3"), "the sqlite3 shell is not installed: run `bash .ci/setup.sh` first")
        try await withSidecar(sections: Self.fast) { backend, sidecar in
            for _ in 0..<5 { #expect(try await TestClient.send(port: sidecar.dataPort, path: "/bytes/10").status == 200) }
            let selector = #"modelwatch_requests_total{code="200"}"#
            let recorded = try await Self.waitForQuery(sidecar.storagePath, selector) { $0.last?.value == 5 }
            let series = try #require(recorded.first)
            #expect(series.labels["model"] == "unknown" && series.labels["protocol"] == "generic", "\(series.labels)")

            // The same numbers straight from the file.
            let (status, output) = try await Tool.run(
                sqlite3,
                [
                    sidecar.storagePath,
                    """
                    SELECT d.value FROM samples d JOIN series s ON s.id = d.series_id
                    WHERE s.name = 'modelwatch_requests_total' AND s.labels->>'code' = '200' ORDER BY d.ts DESC LIMIT 1
                    """,
                ], input: "")
            #expect(status == 0 && output.trimmingCharacters(in: .whitespacesAndNewlines) == "5.0", "\(output)")

            // Histograms arrive as every bucket, sum and count; the store reports on itself.
            let scrape = try await sidecar.scrape { $0.value("modelwatch_store_write_seconds_count") >= 2 }
            #expect(scrape.value("modelwatch_store_rows_written_total") > 0)
            #expect(scrape.value("modelwatch_store_database_bytes") > 0)
            #expect(scrape.value("modelwatch_store_errors_total") == 0)
            let buckets = try await Self.query(sidecar.storagePath, #"modelwatch_request_duration_seconds_bucket{code!="x"}"#)
            #expect(Set(buckets.compactMap { $0.labels["le"] }).count == 17, "16 bounds and +Inf")

            await sidecar.stop()
            let before = try await Self.query(sidecar.storagePath, selector).first?.points ?? []
            let again = try await ModelWatchProcess.start(configurationPath: sidecar.configurationPath, storagePath: sidecar.storagePath)
            #expect(try await TestClient.send(port: again.dataPort, path: "/bytes/10").status == 200)
            // The new process counts from zero, as Prometheus would see a restart; the old samples stay.
            let after = try await Self.waitForQuery(again.storagePath, selector) {
                ($0.last?.timestamp ?? 0) > (before.last?.timestamp ?? 0)
            }
            await again.stop()
            let points = try #require(after.first?.points)
            #expect(Array(points.prefix(before.count)) == before)
            #expect(points.last?.value == 1)
            _ = backend
        }
    }

    @Test("SIGKILL at random moments under load: the file stays sound and keeps everything committed before")
    func killNine() async throws {
        let sqlite3 = try #require(Tool.find("sqlite3"), "the sqlite3 shell is not installed: run `bash .ci/setup.sh` first")
        // Spans of one second: compaction runs all the time, so kills land in it too.
        let sections = "storage:\n  scrape_interval: 100ms\n  chunk_span: 1s\n"
        try await withSidecar(sections: sections) { _, first in
            var sidecar = first
            var kept: [Point] = []
            for round in 0..<20 {
                let port = sidecar.dataPort
                let load = Task {
                    // About 150 requests a second: load, without starving the suites running beside this one.
                    while !Task.isCancelled {
                        _ = try? await TestClient.send(port: port, path: "/bytes/100")
                        try? await Task.sleep(for: .milliseconds(5))
                    }
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...900)))
                // What a reader sees now is committed: all of it must survive the kill.
                let committed = try await Self.query(sidecar.storagePath, "modelwatch_build_info", start: "0").first?.points ?? []
                let killedAt = Date().timeIntervalSince1970
                sidecar.signal(SIGKILL)
                _ = await sidecar.waitForExit()
                load.cancel()

                let (status, integrity) = try await Tool.run(sqlite3, [sidecar.storagePath, "PRAGMA integrity_check"], input: "")
                #expect(status == 0 && integrity.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "round \(round): \(integrity)")
                let survived = try await Self.query(sidecar.storagePath, "modelwatch_build_info", start: "0").first?.points ?? []
                #expect(Set(committed.map(\.timestamp)).isSubset(of: survived.map(\.timestamp)), "round \(round) lost committed samples")
                #expect(Set(kept.map(\.timestamp)).isSubset(of: survived.map(\.timestamp)), "round \(round) lost earlier rounds")
                #expect(survived.count > kept.count, "round \(round) recorded nothing new")
                // Recording went on up to the kill: about one interval (100 ms) is lost. The margin is a
                // loaded machine's, where snapshots lag (2.5 s was seen with four builds beside).
                let newest = Double(survived.last?.timestamp ?? 0) / 1000
                #expect(killedAt - newest < 10, "round \(round): the last sample is \(killedAt - newest) s old")
                kept = survived
                sidecar = try await ModelWatchProcess.start(configurationPath: first.configurationPath, storagePath: first.storagePath)
            }
            await sidecar.stop()
        }
    }

    @Test("a full disk pauses recording, counted and logged once, while the proxy answers; freeing space resumes it")
    func fullDisk() async throws {
        try await Self.withVolume(megabytes: 2) { folder, mounted in try await Self.fillAndFree(folder, mounted: mounted) }
    }

    @Test("a 2 MiB volume records snapshot after snapshot: the write-ahead log is checkpointed after each and stays small")
    func smallVolume() async throws {
        try await Self.withVolume(megabytes: 2) { folder, mounted in
            let database = folder.appendingPathComponent("modelwatch.db").path
            try await withSidecar(sections: "storage:\n  scrape_interval: 100ms\n  path: \(database)\n") { _, sidecar in
                if !mounted {
                    let prlimit = try #require(Tool.find("prlimit"), "neither mount nor prlimit is available")
                    let (status, output) = try await Tool.run(
                        prlimit, ["--pid", "\(sidecar.processIdentifier)", "--fsize=2097152"], input: "")
                    try #require(status == 0, "\(output)")
                }
                // Series of a dozen models, so each snapshot writes a few pages.
                for model in 0..<12 {
                    #expect(try await TestClient.send(port: sidecar.dataPort, path: "/v2/models/m\(model)/infer").status < 500)
                }
                // 150 snapshots: without checkpoints the log would need about 16 MiB before SQLite's own.
                let recorded = try await sidecar.scrape(
                    until: { $0.value("modelwatch_store_write_seconds_count") >= 150 || $0.value("modelwatch_store_errors_total") > 0 },
                    timeout: .seconds(90))
                #expect(recorded.value("modelwatch_store_write_seconds_count") >= 150)
                #expect(recorded.value("modelwatch_store_errors_total") == 0, "\(sidecar.log)")
                let wal = (try? FileManager.default.attributesOfItem(atPath: database + "-wal")[.size] as? Int) ?? 0
                #expect(wal <= 1 << 20, "the write-ahead log holds \(wal) bytes")
            }
        }
    }

    /// Runs `body` with a folder on a file system of `megabytes` of its own where the machine lets
    /// the test mount one (tmpfs); otherwise `body` is told so and limits the sidecar's file size
    /// instead (prlimit), which fails writes the same way (EFBIG).
    private static func withVolume(megabytes: Int, _ body: (URL, Bool) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-volume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let mounted =
            (try? await Tool.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", folder.path], input: ""))?.status == 0
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try await body(folder, mounted)
        } catch {
            if mounted { _ = try? await Tool.run("/bin/umount", [folder.path], input: "") }
            throw error
        }
        if mounted { _ = try? await Tool.run("/bin/umount", [folder.path], input: "") }
    }

    /// Fills the disk under a recording sidecar (or limits its file size), then frees it again.
    private static func fillAndFree(_ folder: URL, mounted: Bool) async throws {
        let database = folder.appendingPathComponent("modelwatch.db").path
        let filler = folder.appendingPathComponent("filler").path
        try await withSidecar(sections: "storage:\n  scrape_interval: 100ms\n  path: \(database)\n") { _, sidecar in
            _ = try await sidecar.scrape { $0.value("modelwatch_store_rows_written_total") > 0 }

            if mounted {
                _ = try await Tool.run("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k"], input: "")
            } else {
                let prlimit = try #require(Tool.find("prlimit"), "neither mount nor prlimit is available")
                let (status, output) = try await Tool.run(prlimit, ["--pid", "\(sidecar.processIdentifier)", "--fsize=1"], input: "")
                try #require(status == 0, "\(output)")
            }
            let paused = try await sidecar.scrape(
                until: { $0.value("modelwatch_store_errors_total", ["op": "append"]) >= 3 }, timeout: .seconds(20))
            #expect(paused.value("modelwatch_store_errors_total", ["op": "append"]) >= 3, "\(sidecar.log)")
            for _ in 0..<20 {
                #expect(try await TestClient.send(port: sidecar.dataPort, path: "/bytes/1000").status == 200)
            }
            #expect(sidecar.log.components(separatedBy: "recording paused").count == 2, "one log line however long it lasts")

            if mounted {
                try FileManager.default.removeItem(atPath: filler)
            } else {
                _ = try await Tool.run("/usr/bin/prlimit", ["--pid", "\(sidecar.processIdentifier)", "--fsize=unlimited"], input: "")
            }
            _ = try await sidecar.scrape(until: { _ in sidecar.log.contains("recording resumed") }, timeout: .seconds(20))
            #expect(sidecar.log.contains("recording resumed"), "\(sidecar.log)")
            // Requests made while paused are in the next snapshot: counters lose nothing, only samples are missing.
            let recorded = try await Self.waitForQuery(database, #"modelwatch_requests_total{code="200"}"#) { ($0.last?.value ?? 0) >= 20 }
            #expect(recorded.first?.points.last?.value ?? 0 >= 20)
            // Once resumed, snapshots succeed again: more rows are written and no error is added.
            let settled = try await sidecar.scrape()
            let errors = settled.value("modelwatch_store_errors_total", ["op": "append"])
            let rows = settled.value("modelwatch_store_rows_written_total")
            let later = try await sidecar.scrape(until: { $0.value("modelwatch_store_rows_written_total") > rows }, timeout: .seconds(20))
            #expect(later.value("modelwatch_store_rows_written_total") > rows)
            #expect(later.value("modelwatch_store_errors_total", ["op": "append"]) == errors)
        }
        let (status, integrity) = try await Tool.run("/usr/bin/sqlite3", [database, "PRAGMA integrity_check"], input: "")
        #expect(status == 0 && integrity.contains("ok"))
    }

    @Test("a second sidecar pointed at a file another one records into stops at start with a clear error")
    func secondSidecar() async throws {
        try await withSidecar(sections: Self.fast) { _, sidecar in
            let second = try ModelWatchProcess.launch(configurationPath: sidecar.configurationPath)
            let status = await second.waitForExit()
            #expect(status != nil && status != 0)
            #expect(second.log.contains("in use by another ModelWatch process"), "\(second.log)")
            #expect(try await TestClient.send(port: sidecar.dataPort, path: "/bytes/10").status == 200)
        }
    }

    // MARK: Reading back

    struct Point: Equatable {
        let timestamp: Int64
        let value: Double
    }

    struct Series {
        let labels: [String: String]
        let points: [Point]
        var last: Point? { self.points.last }
    }

    /// `modelwatch query --format json` on the file.
    static func query(_ database: String, _ selector: String, start: String = "now-10m") async throws -> [Series] {
        let (status, output) = try await ModelWatchProcess.run(["query", "--db", database, selector, "--start", start, "--format", "json"])
        guard status == 0 else { throw TestFailure("modelwatch query failed: \(output)") }
        guard let root = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
            let data = root["data"] as? [String: Any], let result = data["result"] as? [[String: Any]]
        else { throw TestFailure("not a query answer: \(output)") }
        return result.map { entry in
            let labels = entry["metric"] as? [String: String] ?? [:]
            let values = entry["values"] as? [[Any]] ?? []
            let points = values.compactMap { pair -> Point? in
                guard let seconds = pair.first as? Double, let text = pair.last as? String, let value = Double(text) else { return nil }
                return Point(timestamp: Int64((seconds * 1000).rounded()), value: value)
            }
            return Series(labels: labels, points: points)
        }
    }

    /// Queries until the first series' points satisfy `condition` (the recorder writes every interval).
    static func waitForQuery(_ database: String, _ selector: String, _ condition: ([Point]) -> Bool) async throws -> [Series] {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let answer = try await Self.query(database, selector)
            if condition(answer.first?.points ?? []) || ContinuousClock.now >= deadline { return answer }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
