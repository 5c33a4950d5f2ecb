// Measures the SQLite store: batch ingest rate and a one-day range query over 200 series.
//
// Usage: modelwatch-store-bench [folder]   (build with -c release)
// Writes its files to `folder` (default: a new folder under /tmp) and prints one line per result.
import Foundation
import ModelWatchStore

let folder = CommandLine.arguments.dropFirst().first ?? NSTemporaryDirectory() + "modelwatch-store-bench-\(UUID().uuidString)"
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
let clock = ContinuousClock()
let start: Int64 = 1_767_225_600_000

/// `count` series shaped like the sidecar's own: a name and five labels.
func seriesKeys(_ count: Int, name: String) -> [SeriesKey] {
    (0..<count).map { index in
        SeriesKey(
            name: name,
            labels: [
                .init("model", "model-\(index % 20)"), .init("version", "\(index % 3)"), .init("protocol", "v2"),
                .init("endpoint", "infer"), .init("le", "\(index)"),
            ])
    }
}

func report(_ name: String, _ value: Double, _ unit: String) {
    print("\(name): \(String(format: "%.1f", value)) \(unit)")
}

// 1. Ingest: snapshots of 2,000 series, as the self-scrape appends them, one transaction each.
do {
    let store = try TimeSeriesStore(path: folder + "/ingest.db")
    let keys = seriesKeys(2_000, name: "modelwatch_request_duration_seconds_bucket")
    let snapshots = 500
    let began = clock.now
    for snapshot in 0..<snapshots {
        let values = keys.enumerated().map { (key: $0.element, value: Double(snapshot * 7 + $0.offset)) }
        try store.append(values, at: start + Int64(snapshot) * 10_000)
    }
    let seconds = (clock.now - began) / .seconds(1)
    report("ingest, 2000 series x 500 snapshots", Double(keys.count * snapshots) / seconds, "samples/s")
}

// 2. One day of 10 s samples for 200 series, compacted as the day goes, then read back whole.
do {
    let store = try TimeSeriesStore(path: folder + "/day.db")
    let keys = seriesKeys(200, name: "modelwatch_requests_total")
    let began = clock.now
    var maintenance = Duration.zero
    for snapshot in 0..<8_640 {
        let timestamp = start + Int64(snapshot) * 10_000
        try store.append(keys.enumerated().map { (key: $0.element, value: Double(snapshot + $0.offset)) }, at: timestamp)
        if snapshot % 360 == 359 {
            let compacting = clock.now
            while try store.maintain(now: timestamp + 10_000).moreWork {}
            maintenance += clock.now - compacting
        }
    }
    let seconds = (clock.now - began) / .seconds(1)
    report("ingest with hourly compaction, 200 series x 8640 snapshots", Double(keys.count * 8_640) / seconds, "samples/s")
    report("compaction share of that", maintenance / .seconds(1) / seconds * 100, "%")

    let selector = SeriesSelector(matchers: [try LabelMatcher("__name__", .equal, "modelwatch_requests_total")])
    var timings: [Double] = []
    var samples = 0
    for _ in 0..<7 {
        let queried = clock.now
        let answer = try store.select(selector, from: start, through: start + 86_400_000)
        timings.append((clock.now - queried) / .milliseconds(1))
        samples = answer.reduce(0) { $0 + $1.samples.count }
    }
    timings.sort()
    report("range query, 200 series x 1 day (\(samples) samples), median of 7", timings[3], "ms")
    report("range query, slowest of 7", timings[6], "ms")
    report("file size after one day", Double(store.sizeInBytes) / 1_048_576, "MiB")
}
try? FileManager.default.removeItem(atPath: folder)
