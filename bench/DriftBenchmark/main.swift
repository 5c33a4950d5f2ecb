// Measures drift's two costs: counting one feature value on the analysis pipeline, and
// recomputing every statistic of a 100-feature model over a one-hour window.
//
// Usage: modelwatch-drift-bench   (build with -c release); prints one line per result.
import Foundation
import ModelWatchDrift
import ModelWatchProtocols

let features = 100
let clock = ContinuousClock()
nonisolated(unsafe) var generator = SplitMix64(seed: 1)  // the benchmark is one thread

func normals(_ count: Int, mean: Double = 0) -> [Double] {
    (0..<count).map { _ in
        let u = (Double(generator.next() >> 11) + 0.5) / Double(1 << 53)
        let v = (Double(generator.next() >> 11) + 0.5) / Double(1 << 53)
        return mean + (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

func report(_ name: String, _ value: Double, _ unit: String) {
    print("\(name): \(String(format: "%.1f", value)) \(unit)")
}

let names = (0..<features).map { "f\($0)" }
let baseline = try BaselineBuilder().build(
    model: "bench", source: "bench", createdAt: "2026-11-23T00:00:00Z",
    features: names.map { (name: $0, values: normals(20_000).map { FeatureValue.number($0) }) }, outputs: [])
let mapping = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, "input-0[\($0)]") })

/// One request of `rows` rows of all features, as the Open Inference codec decodes it.
func payload(rows: Int, mean: Double = 0) -> DecodedPayload {
    DecodedPayload(
        tensors: [
            Tensor(name: "input-0", datatype: "FP64", shape: [rows, features], values: .numbers(normals(rows * features, mean: mean)))
        ],
        batchSize: rows)
}

// 1. Update cost: 100-row requests of 100 features, through the model's monitor (tensor lookup,
//    quantile bin, grid bin, extremes, reservoir), and the histogram update alone.
do {
    var monitor = ModelDriftMonitor(model: "bench", baseline: baseline, mapping: mapping, settings: DriftSettings())
    let requests = (0..<50).map { _ in payload(rows: 100) }
    var runs: [Double] = []
    for round in 0..<5 {
        let start = clock.now
        for request in requests { _ = monitor.observe(request: request, response: nil, minute: Int64(round) * 60_000) }
        runs.append((clock.now - start).nanoseconds / Double(requests.count * 100 * features))
    }
    report("update cost per value, monitor (median of 5 x 500 000 values)", runs.sorted()[2], "ns")

    let reference = try require(baseline.features.first)
    var histogram = FeatureHistogram(binning: FeatureBinning(reference))
    let values = normals(1_000_000).map { FeatureValue.number($0) }
    var single: [Double] = []
    for _ in 0..<5 {
        let start = clock.now
        for value in values { histogram.add(value) }
        single.append((clock.now - start).nanoseconds / Double(values.count))
    }
    report("update cost per value, histogram alone (median of 5 x 1 000 000 values)", single.sorted()[2], "ns")
}

// 2. Recompute: a full one-hour window, 60 minutes of 1 000 values per feature, all statistics.
do {
    for method in DriftSettings.Method.allCases {
        var monitor = ModelDriftMonitor(model: "bench", baseline: baseline, mapping: mapping, settings: DriftSettings(method: method))
        var storedBytes = 0
        var minutes = 0
        for minute in 0..<60 {
            for _ in 0..<10 { _ = monitor.observe(request: payload(rows: 100, mean: 0.1), response: nil, minute: Int64(minute) * 60_000) }
            let sealed = monitor.seal(before: Int64(minute + 1) * 60_000)
            storedBytes += sealed.reduce(0) { $0 + $1.data.encoded().count }
            minutes += sealed.count
        }
        var runs: [Double] = []
        var drifted = 0
        for _ in 0..<11 {
            let start = clock.now
            let result = monitor.report(end: 60 * 60_000)
            runs.append((clock.now - start).milliseconds)
            drifted = result.entries.filter { $0.verdict != .insufficientData }.count
        }
        precondition(drifted == features, "every feature must have been judged")
        report("recompute 100 features x 60 minutes, \(method.rawValue) (median of 11)", runs.sorted()[5], "ms")
        if method == .histogram {
            report("stored bytes per feature-minute (1 000 values, 100-value sample)", Double(storedBytes) / Double(minutes), "bytes")
        }
    }
}

extension Duration {
    var nanoseconds: Double { Double(self.components.seconds) * 1e9 + Double(self.components.attoseconds) / 1e9 }
    var milliseconds: Double { self.nanoseconds / 1e6 }
}

enum Missing: Error { case value }

func require<T>(_ value: T?) throws -> T {
    guard let value else { throw Missing.value }
    return value
}
