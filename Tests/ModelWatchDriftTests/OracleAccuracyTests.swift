import Foundation
import ModelWatchDrift
import Testing

/// ModelWatch's statistics against numpy, scipy and Evidently on the same seeded values.
@Suite("Drift statistics against scipy and Evidently")
struct OracleAccuracyTests {
    struct Case: CustomStringConvertible, Sendable {
        let description: String
        let reference: [Double]
        let current: [Double]
    }

    static let cases: [Case] = {
        var samples = SeededSamples(seed: 42)
        let reference = samples.normal(count: 20_000)
        var skewed = SeededSamples(seed: 7)
        return [
            Case(description: "mean +0.5 std", reference: reference, current: samples.normal(mean: 0.5, count: 2000)),
            Case(description: "variance x1.5", reference: reference, current: samples.normal(std: 1.5.squareRoot(), count: 2000)),
            Case(description: "mean +0.1 std", reference: reference, current: samples.normal(mean: 0.1, count: 2000)),
            Case(description: "no drift", reference: reference, current: samples.normal(count: 1000)),
            Case(
                description: "exponential, scale x1.3", reference: skewed.exponential(scale: 1, count: 20_000),
                current: skewed.exponential(scale: 1.3, count: 3000)),
        ]
    }()

    @Test("histogram statistics agree with the exact ones", arguments: Self.cases)
    func histogramMode(_ testCase: Case) async throws {
        let reference = try BaselineBuilder(sampleSize: 20_000).reference(name: "x", values: testCase.reference.map { .number($0) })
        let numeric = try #require(reference.numeric)
        let oracle = try await DriftOracle.run(["reference": testCase.reference, "current": testCase.current, "edges": numeric.edges])
        let ours = HistogramStatistics.evaluate(reference, windowHistogram(reference, testCase.current))

        // The same statistic on the same bins: equal up to the last bits of the sums.
        for (statistic, key) in [(DriftStatistic.psi, "psi"), (.jensenShannon, "js"), (.hellinger, "hellinger")] {
            let expected = try #require(oracle.number(key))
            let value = try #require(ours[statistic])
            #expect(abs(value - expected) <= 1e-12 * max(1, abs(expected)), "\(statistic): \(value) vs \(expected)")
        }
        // KS D within 0.01 of scipy's exact D; the p-value within a decade while it is above 1e-10.
        let d = try #require(oracle.number("ks_d"))
        #expect(abs(try #require(ours[.ksStatistic]) - d) < 0.01, "ks_d \(ours[.ksStatistic] ?? .nan) vs \(d)")
        let p = try #require(oracle.number("ks_p"))
        if p > 1e-10 {
            #expect(abs(log10(try #require(ours[.ksPValue])) - log10(p)) < 1, "ks p \(ours[.ksPValue] ?? .nan) vs \(p)")
        } else {
            #expect(try #require(ours[.ksPValue]) < 1e-8)
        }
        // Normalised Wasserstein within 1% of scipy's exact distance over the reference std.
        let wasserstein = try #require(oracle.number("wasserstein_norm"))
        let ourWasserstein = try #require(ours[.wasserstein])
        #expect(abs(ourWasserstein - wasserstein) <= 0.01 * wasserstein, "wasserstein \(ourWasserstein) vs \(wasserstein)")
    }

    @Test("Evidently-compatible statistics agree with Evidently's own", arguments: Self.cases)
    func evidentlyMode(_ testCase: Case) async throws {
        let oracle = try await DriftOracle.run(["reference": testCase.reference, "current": testCase.current, "edges": [0.0]])
        let ours = EvidentlyStatistics.numeric(reference: testCase.reference, current: testCase.current)
        for (statistic, key) in [
            (DriftStatistic.psi, "psi"), (.jensenShannon, "jensenshannon"), (.wasserstein, "wasserstein"), (.hellinger, "hellinger"),
        ] {
            let expected = try #require(oracle.evidently(key), "evidently gave no \(key): \(oracle["evidently"] ?? "nothing")")
            let value = try #require(ours[statistic])
            #expect(abs(value - expected) <= 1e-6, "\(statistic): \(value) vs Evidently's \(expected)")
        }
        let p = try #require(oracle.evidently("ks"))
        if p > 1e-10 {
            #expect(abs(log10(try #require(ours[.ksPValue])) - log10(p)) < 1, "ks p \(ours[.ksPValue] ?? .nan) vs \(p)")
        }
    }

    @Test("categorical chi-square, PSI, Jensen-Shannon and Hellinger")
    func categorical() async throws {
        var samples = SeededSamples(seed: 3)
        let referenceShares = [("a", 0.3), ("b", 0.25), ("c", 0.2), ("d", 0.1), ("e", 0.08), ("f", 0.07)]
        let currentShares = [("a", 0.25), ("b", 0.25), ("c", 0.2), ("d", 0.12), ("e", 0.1), ("f", 0.08)]
        let reference = samples.categories(referenceShares, count: 20_000)
        let current = samples.categories(currentShares, count: 2000)
        let built = try BaselineBuilder(topK: 4).reference(name: "colour", values: reference.map { .text($0) })
        let categories = try #require(built.categorical).values
        let oracle = try await DriftOracle.run([
            "reference": [0.0], "current": [0.0], "edges": [0.0],
            "categorical": ["reference": reference, "current": current, "categories": categories],
        ])
        var window = FeatureHistogram(binning: FeatureBinning(built))
        for value in current { window.add(.text(value)) }
        let ours = HistogramStatistics.evaluate(built, window)
        let chiSquare = try #require(oracle.number("chisquare_p"))
        #expect(
            abs(try #require(ours[.chiSquarePValue]) - chiSquare) <= 1e-9 * chiSquare,
            "chi-square p \(ours[.chiSquarePValue] ?? .nan) vs \(chiSquare)")

        let evidently = EvidentlyStatistics.evaluate(built, windowSample: current.map { .text($0) })
        for (statistic, key) in [
            (DriftStatistic.psi, "psi"), (.jensenShannon, "jensenshannon"), (.hellinger, "hellinger"), (.chiSquarePValue, "chisquare"),
        ] {
            let expected = try #require(oracle.evidently(key, in: "categorical"))
            let value = try #require(evidently[statistic])
            #expect(abs(value - expected) <= 1e-6 * max(1, abs(expected)), "\(statistic): \(value) vs Evidently's \(expected)")
        }
    }
}
