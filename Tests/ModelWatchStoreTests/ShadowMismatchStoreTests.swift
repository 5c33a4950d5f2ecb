import Foundation
import ModelWatchStore
import Testing

@Suite("Shadow mismatches in the store")
struct ShadowMismatchStoreTests {
    static let now: Int64 = 1_800_000_000_000
    static let hour: Int64 = 3_600_000

    static func record(_ model: String, at timestamp: Int64, row: Int) -> ShadowMismatchRecord {
        ShadowMismatchRecord(
            model: model, version: "v2", timestamp: timestamp, outputs: "predict",
            differences: #"[{"backend":"1","output":"predict","row":\#(row),"shadow":"2"}]"#, request: Array("{\"id\":\(row)}".utf8),
            backendAnswer: Array("{\"predict\":[1]}".utf8), shadowAnswer: Array("{\"predict\":[2]}".utf8))
    }

    @Test("kept at most so many per model and clock hour, across a reopen, read newest first, expired with retention")
    func boundedAndExpired() throws {
        try withTemporaryDatabase { path in
            let hourStart = Self.now - Self.now % Self.hour
            var store: TimeSeriesStore? = try TimeSeriesStore(path: path, configuration: StoreConfiguration(retention: .seconds(7200)))
            let kept = try store!.appendShadowMismatches(
                (0..<5).map { Self.record("iris", at: hourStart + Int64($0) * 1000, row: $0) }, limitPerHour: 3)
            #expect(kept == 3)
            // Another model has an allowance of its own; so has the next hour.
            #expect(try store!.appendShadowMismatches([Self.record("churn", at: hourStart, row: 9)], limitPerHour: 3) == 1)
            #expect(try store!.appendShadowMismatches([Self.record("iris", at: hourStart + Self.hour, row: 7)], limitPerHour: 3) == 1)
            store = nil

            // A restart does not reset the allowance: it is counted in the file.
            store = try TimeSeriesStore(path: path, configuration: StoreConfiguration(retention: .seconds(7200)))
            #expect(try store!.appendShadowMismatches([Self.record("iris", at: hourStart + 10_000, row: 8)], limitPerHour: 3) == 0)
            let read = try store!.shadowMismatches(model: "iris", from: 0, through: .max)
            #expect(read.map { String(decoding: $0.request, as: UTF8.self) } == ["{\"id\":7}", "{\"id\":2}", "{\"id\":1}", "{\"id\":0}"])
            #expect(read.first?.backendAnswer == Array("{\"predict\":[1]}".utf8))
            #expect(read.first?.shadowAnswer == Array("{\"predict\":[2]}".utf8))
            #expect(try store!.shadowMismatches(model: "iris", from: hourStart + Self.hour, through: .max).count == 1)
            #expect(try SQLiteShell.query(path, "PRAGMA user_version") == ["5"])

            // Two hours of retention, just under three hours on: only the second hour's mismatch is left.
            while try store!.maintain(now: hourStart + 3 * Self.hour - 1).moreWork {}
            #expect(try store!.shadowMismatches(model: "iris", from: 0, through: .max).map(\.timestamp) == [hourStart + Self.hour])
            #expect(try store!.shadowMismatches(model: "churn", from: 0, through: .max).isEmpty)
        }
    }
}
