import ModelWatchDrift
import Testing

/// No alarms on windows drawn from the baseline's own distribution, and the shifts users care
/// about flagged within the first full window — at the default thresholds and minimum size.
@Suite("Drift calibration at the default thresholds")
struct CalibrationTests {
    static let settings = DriftSettings()

    static func evaluate(_ reference: FeatureReference, _ values: [FeatureValue]) -> FeatureDrift {
        var histogram = FeatureHistogram(binning: FeatureBinning(reference))
        var reservoir = ValueReservoir<FeatureValue>(capacity: 100)
        for value in values {
            histogram.add(value)
            reservoir.offer(value)
        }
        return DriftEvaluator(settings: Self.settings).evaluate(
            reference, role: .feature, minutes: [histogram.sealed(sample: reservoir.values)])
    }

    @Test("200 windows of N(0,1) against an N(0,1) baseline raise no alert")
    func noFalseAlarms() throws {
        var samples = SeededSamples(seed: 11)
        let reference = try BaselineBuilder().reference(name: "x", values: samples.normal(count: 50_000).map { .number($0) })
        var worst: [DriftStatistic: Double] = [:]
        for _ in 0..<200 {
            let drift = Self.evaluate(reference, samples.normal(count: Self.settings.thresholds.minimumSamples).map { .number($0) })
            #expect(drift.verdict != .drift, "false alarm: \(drift.values)")
            for (statistic, value) in drift.values where !statistic.driftsWhenBelow { worst[statistic] = max(worst[statistic] ?? 0, value) }
        }
        // The statistics stay well clear of their thresholds, not just under them.
        #expect(try #require(worst[.psi]) < 0.1)
        #expect(try #require(worst[.wasserstein]) < 0.1)
        #expect(try #require(worst[.jensenShannon]) < 0.1)
    }

    @Test("a window smaller than the minimum reports insufficient data")
    func insufficientData() throws {
        var samples = SeededSamples(seed: 12)
        let reference = try BaselineBuilder().reference(name: "x", values: samples.normal(count: 10_000).map { .number($0) })
        let drift = Self.evaluate(reference, samples.normal(mean: 3, count: 999).map { .number($0) })
        #expect(drift.verdict == .insufficientData)
        #expect(drift.values.isEmpty)
        #expect(drift.samples == 999)
    }

    @Test("mean +0.5 std and variance x1.5 are flagged in the first full window")
    func numericShifts() throws {
        var samples = SeededSamples(seed: 13)
        let reference = try BaselineBuilder().reference(name: "x", values: samples.normal(count: 50_000).map { .number($0) })
        for _ in 0..<20 {
            let shifted = Self.evaluate(reference, samples.normal(mean: 0.5, count: 1000).map { .number($0) })
            #expect(shifted.verdict == .drift, "mean shift missed: \(shifted.values)")
            let wider = Self.evaluate(reference, samples.normal(std: 1.5.squareRoot(), count: 1000).map { .number($0) })
            #expect(wider.verdict == .drift, "variance change missed: \(wider.values)")
        }
    }

    @Test("a category share moved by 10 points is flagged; unchanged shares are not")
    func categoryShift() throws {
        var samples = SeededSamples(seed: 14)
        let shares = [("a", 0.5), ("b", 0.3), ("c", 0.2)]
        let reference = try BaselineBuilder().reference(name: "c", values: samples.categories(shares, count: 50_000).map { .text($0) })
        for _ in 0..<20 {
            let moved = Self.evaluate(reference, samples.categories([("a", 0.4), ("b", 0.4), ("c", 0.2)], count: 1000).map { .text($0) })
            #expect(moved.verdict == .drift, "category shift missed: \(moved.values)")
            let same = Self.evaluate(reference, samples.categories(shares, count: 1000).map { .text($0) })
            #expect(same.verdict != .drift, "false alarm: \(same.values)")
        }
    }
}
