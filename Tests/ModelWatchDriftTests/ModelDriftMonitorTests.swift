import ModelWatchDrift
import ModelWatchProtocols
import Testing

@Suite("A model's drift monitor")
struct ModelDriftMonitorTests {
    static let minute: Int64 = 1_800_000_000_000

    static func baseline() throws -> Baseline {
        var samples = SeededSamples(seed: 21)
        return try BaselineBuilder().build(
            model: "iris", source: "test", createdAt: "2026-11-23T00:00:00Z",
            features: [
                (name: "length", values: samples.normal(mean: 5, count: 5000).map { .number($0) }),
                (name: "width", values: samples.normal(mean: 3, count: 5000).map { .number($0) }),
            ],
            outputs: [(name: "predict", values: samples.categories([("0", 0.5), ("1", 0.5)], count: 5000).map { .text($0) })])
    }

    static func request(_ rows: [[Double]], name: String = "input-0") -> DecodedPayload {
        DecodedPayload(
            tensors: [
                Tensor(name: name, datatype: "FP64", shape: [rows.count, rows.first?.count ?? 0], values: .numbers(rows.flatMap { $0 }))
            ],
            batchSize: rows.count)
    }

    @Test("mapped tensor positions feed the features; outputs come from the response; minutes seal on the minute")
    func observeAndSeal() throws {
        var monitor = ModelDriftMonitor(
            model: "iris", baseline: try Self.baseline(), mapping: ["length": "input-0[0]", "width": "input-0[1]"],
            settings: DriftSettings())
        let response = DecodedPayload(
            tensors: [Tensor(name: "predict", datatype: "INT64", shape: [2], values: .numbers([0, 1]))], batchSize: 2)
        let violations = monitor.observe(request: Self.request([[5.1, 3.5], [4.9, 3.0]]), response: response, minute: Self.minute)
        #expect(violations.isEmpty)
        #expect(monitor.seal(before: Self.minute).isEmpty)
        let sealed = monitor.seal(before: Self.minute + 60_000)
        #expect(sealed.map(\.name).sorted() == ["length", "predict", "width"])
        #expect(sealed.allSatisfy { $0.data.count == 2 && $0.minute == Self.minute })
        let length = try #require(sealed.first { $0.name == "length" })
        #expect(length.data.minimum == 4.9)
        #expect(length.data.maximum == 5.1)
        guard case .categorical(let counts) = sealed.first(where: { $0.name == "predict" })?.data.bins else {
            Issue.record("predict is not categorical")
            return
        }
        #expect(counts.reduce(0, +) == 2)
    }

    @Test("schema violations: absent tensor, narrow tensor, text for a number, far out of range")
    func violations() throws {
        var monitor = ModelDriftMonitor(
            model: "iris", baseline: try Self.baseline(), mapping: ["length": "input-0[0]", "width": "input-0[1]"],
            settings: DriftSettings())
        let absent = monitor.observe(request: Self.request([[1, 2]], name: "other"), response: nil, minute: Self.minute)
        #expect(absent[SchemaViolation(feature: "length", kind: .missing)] == 1)
        #expect(absent[SchemaViolation(feature: "width", kind: .missing)] == 1)

        let narrow = monitor.observe(request: Self.request([[5], [5], [5]]), response: nil, minute: Self.minute)
        #expect(narrow[SchemaViolation(feature: "width", kind: .unexpectedShape)] == 3)
        #expect(narrow[SchemaViolation(feature: "length", kind: .unexpectedShape)] == nil)

        let text = DecodedPayload(
            tensors: [Tensor(name: "input-0", datatype: "BYTES", shape: [1, 2], values: .strings(["a", "b"]))], batchSize: 1)
        let wrong = monitor.observe(request: text, response: nil, minute: Self.minute)
        #expect(wrong[SchemaViolation(feature: "length", kind: .wrongType)] == 1)

        let far = monitor.observe(request: Self.request([[500, 3], [5, 3]]), response: nil, minute: Self.minute)
        #expect(far[SchemaViolation(feature: "length", kind: .outOfRange)] == 1)
        #expect(far.count == 1)

        // Missing values count in the missing ratio.
        let sealed = monitor.seal(before: Self.minute + 60_000)
        let length = try #require(sealed.first { $0.name == "length" })
        #expect(length.data.missing == 2)
        #expect(length.data.count == 5)
    }

    @Test("insufficient data until the window holds the minimum, then statistics; only the window's minutes count")
    func reportWindow() throws {
        var settings = DriftSettings(windowMinutes: 2)
        settings.thresholds.minimumSamples = 1000
        var monitor = ModelDriftMonitor(
            model: "iris", baseline: try Self.baseline(), mapping: ["length": "input-0[0]", "width": "input-0[1]"], settings: settings)
        var samples = SeededSamples(seed: 22)
        func send(_ count: Int, mean: Double, minute: Int64) {
            let lengths = samples.normal(mean: mean, count: count)
            let widths = samples.normal(mean: 3, count: count)
            _ = monitor.observe(request: Self.request(zip(lengths, widths).map { [$0, $1] }), response: nil, minute: minute)
        }
        send(600, mean: 5, minute: Self.minute)
        _ = monitor.seal(before: Self.minute + 60_000)
        #expect(monitor.report(end: Self.minute + 60_000).entries.allSatisfy { $0.verdict == .insufficientData })
        send(600, mean: 5, minute: Self.minute + 60_000)
        _ = monitor.seal(before: Self.minute + 120_000)
        let calm = monitor.report(end: Self.minute + 120_000)
        #expect(calm.entries.first { $0.name == "length" }?.verdict == .ok)
        #expect(calm.entries.first { $0.name == "length" }?.samples == 1200)
        #expect(calm.driftShare == 0)
        // Two shifted minutes push the calm ones out of the two-minute window.
        send(600, mean: 6, minute: Self.minute + 120_000)
        send(600, mean: 6, minute: Self.minute + 180_000)
        _ = monitor.seal(before: Self.minute + 240_000)
        let shifted = monitor.report(end: Self.minute + 240_000)
        #expect(shifted.entries.first { $0.name == "length" }?.verdict == .drift)
        #expect(shifted.entries.first { $0.name == "width" }?.verdict == .ok)
        #expect(shifted.driftShare == 0.5)
    }

    @Test("after a restart, restored minutes count and the same minute's halves merge")
    func restoreAndMerge() throws {
        let baseline = try Self.baseline()
        let mapping = ["length": "input-0[0]", "width": "input-0[1]"]
        var first = ModelDriftMonitor(model: "iris", baseline: baseline, mapping: mapping, settings: DriftSettings())
        _ = first.observe(request: Self.request([[5, 3], [5.5, 3.1]]), response: nil, minute: Self.minute)
        let stored = first.seal(before: .max)

        var second = ModelDriftMonitor(model: "iris", baseline: baseline, mapping: mapping, settings: DriftSettings())
        #expect(
            second.restore(
                stored.map {
                    ModelDriftMonitor.SealedMinute(
                        role: $0.role, name: $0.name, minute: $0.minute, data: FeatureMinute(decoding: $0.data.encoded())!)
                }) == 2)
        _ = second.observe(request: Self.request([[4.5, 2.9]]), response: nil, minute: Self.minute)
        let merged = second.seal(before: .max)
        let length = try #require(merged.first { $0.name == "length" })
        #expect(length.data.count == 3)
        #expect(length.data.minimum == 4.5)
        #expect(length.data.maximum == 5.5)
    }

    @Test("without a baseline every value is sampled under its default name, up to the feature limit")
    func discovery() {
        var monitor = ModelDriftMonitor(model: "m", baseline: nil, settings: DriftSettings(maximumFeatures: 3))
        _ = monitor.observe(request: Self.request([[1, 2, 3, 4], [5, 6, 7, 8]]), response: nil, minute: Self.minute)
        #expect(monitor.trackedNames.map(\.name) == ["input-0[0]", "input-0[1]", "input-0[2]"])
        let sealed = monitor.seal(before: .max)
        #expect(sealed.first { $0.name == "input-0[1]" }?.data.sample == [.number(2), .number(6)])
        #expect(sealed.allSatisfy { $0.data.bins == nil })
    }

    @Test("discovered values follow each exchange's row layout, and the limit holds across exchanges")
    func discoveryAcrossExchanges() {
        var monitor = ModelDriftMonitor(model: "m", baseline: nil, settings: DriftSettings(maximumFeatures: 4))
        _ = monitor.observe(request: Self.request([[1, 2]]), response: nil, minute: Self.minute)
        _ = monitor.observe(request: Self.request([[3, 4], [5, 6]]), response: nil, minute: Self.minute)
        // One value a row: the tensor's own name, not a position.
        let flat = DecodedPayload(tensors: [Tensor(name: "input-0", datatype: "FP64", shape: [2], values: .numbers([7, 8]))], batchSize: 2)
        _ = monitor.observe(request: flat, response: nil, minute: Self.minute)
        _ = monitor.observe(request: Self.request([[9, 10, 11]]), response: nil, minute: Self.minute)
        _ = monitor.observe(request: Self.request([[12, 13, 14]]), response: nil, minute: Self.minute)
        #expect(monitor.trackedNames.map(\.name) == ["input-0[0]", "input-0[1]", "input-0", "input-0[2]"])
        let samples = Dictionary(uniqueKeysWithValues: monitor.seal(before: .max).map { ($0.name, $0.data.sample) })
        #expect(samples["input-0[0]"] == [.number(1), .number(3), .number(5), .number(9), .number(12)])
        #expect(samples["input-0[1]"] == [.number(2), .number(4), .number(6), .number(10), .number(13)])
        #expect(samples["input-0"] == [.number(7), .number(8)])
        #expect(samples["input-0[2]"] == [.number(11), .number(14)])
    }
}
