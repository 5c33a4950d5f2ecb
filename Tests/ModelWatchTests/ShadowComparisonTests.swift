import ModelWatchMetrics
import ModelWatchProxy
import ModelWatchStore
import Testing

@testable import ModelWatch

/// The pure parts of shadow comparison: judging outputs, sampling, the rate limit.
@Suite struct ShadowComparisonTests {
    static func numbers(_ rows: Int, _ width: Int, _ values: [Double]) -> ShadowOutput {
        ShadowOutput(rows: rows, width: width, elements: .numbers(values))
    }

    @Test func numericToleranceIsAbsolutePlusRelativeToTheShadowValue() {
        let comparator = OutputComparator(comparison: .numeric(abs: 1e-3, rel: 1e-2))
        let backend = Self.numbers(3, 2, [1.0, 100.0, 0.5, 0.0, 7.0, 7.0])
        // Row 0: 100 vs 100.9 is within 1e-3 + 1e-2 × 100.9; row 1: 0 vs 0.002 is not; row 2 is exact.
        let shadow = Self.numbers(3, 2, [1.0, 100.9, 0.5, 0.002, 7.0, 7.0])
        let result = comparator.compare(backend: backend, shadow: shadow, output: "scores")
        #expect(result.differingRows == [1])
        #expect(result.absoluteErrors.count == 3)
        #expect(abs(result.absoluteErrors[0] - 0.9) < 1e-12)
        #expect(abs(result.absoluteErrors[1] - 0.002) < 1e-12)
        #expect(result.absoluteErrors[2] == 0)
        #expect(abs(result.relativeErrors[0] - 0.9 / 100.9) < 1e-12)
        #expect(result.relativeErrors[1] == 1)
        #expect(!result.agrees)
    }

    @Test func nanAgreesOnlyWithNaNAndAZeroShadowValueHasInfiniteRelativeError() {
        let comparator = OutputComparator(comparison: .defaultNumeric)
        let result = comparator.compare(
            backend: Self.numbers(2, 1, [.nan, 1]), shadow: Self.numbers(2, 1, [.nan, 0]), output: "y")
        #expect(result.differingRows == [1])
        #expect(result.relativeErrors == [0, .infinity])
        let one = comparator.compare(backend: Self.numbers(1, 1, [.nan]), shadow: Self.numbers(1, 1, [1]), output: "y")
        #expect(one.differingRows == [0])
    }

    @Test func labelsAgreeAcrossNumbersAndText() {
        let comparator = OutputComparator(comparison: .label)
        let backend = ShadowOutput(rows: 3, width: 1, elements: .numbers([0, 2, 1]))
        let shadow = ShadowOutput(rows: 3, width: 1, elements: .strings(["0", "2", "2"]))
        #expect(comparator.compare(backend: backend, shadow: shadow, output: "predict").differingRows == [2])
        // A label is never "close": 1 and 1.0000001 differ.
        let close = comparator.compare(backend: Self.numbers(1, 1, [1]), shadow: Self.numbers(1, 1, [1.000_000_1]), output: "p")
        #expect(close.differingRows == [0])
    }

    @Test func argmaxComparesTheWinningClassOfEachRow() {
        let comparator = OutputComparator(comparison: .argmax)
        let backend = Self.numbers(2, 3, [0.1, 0.7, 0.2, 0.5, 0.4, 0.1])
        let shadow = Self.numbers(2, 3, [0.2, 0.6, 0.2, 0.3, 0.6, 0.1])
        #expect(comparator.compare(backend: backend, shadow: shadow, output: "proba").differingRows == [1])
        // A one-wide side is its own class index: labels against probabilities.
        let labels = Self.numbers(2, 1, [1, 0])
        #expect(comparator.compare(backend: labels, shadow: shadow, output: "proba").differingRows == [1])
    }

    @Test func differentRowCountsOrWidthsAreAMismatchWithAReason() {
        let comparator = OutputComparator(comparison: .defaultNumeric)
        let rows = comparator.compare(backend: Self.numbers(2, 1, [1, 2]), shadow: Self.numbers(1, 1, [1]), output: "y")
        #expect(rows.incompatibility == "the backend answered 2 rows, the shadow 1")
        #expect(!rows.agrees)
        let width = comparator.compare(backend: Self.numbers(1, 2, [1, 2]), shadow: Self.numbers(1, 3, [1, 2, 3]), output: "y")
        #expect(width.incompatibility != nil)
    }

    @Test func deterministicSamplingGivesTheSameRequestTheSameDecisionAndHonoursTheShare() {
        var first = ShadowSampler(fraction: 0.1, deterministic: true, maxPerSecond: nil, seed: 1)
        var second = ShadowSampler(fraction: 0.1, deterministic: true, maxPerSecond: nil, seed: 99)
        var sampled = 0
        for index in 0..<20_000 {
            let body = Array("{\"id\":\(index),\"inputs\":[1,2,3]}".utf8)
            let decision = first.decide(body: body, now: 0)
            let elsewhere = second.decide(body: body, now: 0)
            let again = first.decide(body: body, now: 0)
            #expect(decision == elsewhere)
            #expect(decision == again)
            if decision == .compare { sampled += 1 }
        }
        // 10% of 20,000 is 2,000; the binomial standard deviation is about 42.
        #expect((1_800...2_200).contains(sampled))
    }

    @Test func randomSamplingHonoursTheShareAndTheEdges() {
        var sampler = ShadowSampler(fraction: 0.25, deterministic: false, maxPerSecond: nil, seed: 7)
        let sampled = (0..<20_000).filter { _ in sampler.decide(body: [1, 2, 3], now: 0) == .compare }.count
        #expect((4_700...5_300).contains(sampled))
        var all = ShadowSampler(fraction: 1, deterministic: false, maxPerSecond: nil, seed: 7)
        var none = ShadowSampler(fraction: 0, deterministic: true, maxPerSecond: nil, seed: 7)
        #expect((0..<100).allSatisfy { _ in all.decide(body: [], now: 0) == .compare })
        #expect((0..<100).allSatisfy { _ in none.decide(body: [], now: 0) == .notSampled })
    }

    @Test func theRateLimitAllowsTheBurstThenTheRate() {
        var sampler = ShadowSampler(fraction: 1, deterministic: false, maxPerSecond: 10, seed: 7)
        // A full bucket of 10, then nothing more at the same instant.
        let burst = (0..<15).map { _ in sampler.decide(body: [], now: 100) }
        #expect(burst.filter { $0 == .compare }.count == 10)
        #expect(burst.filter { $0 == .rateLimited }.count == 5)
        // Half a second refills 5 tokens.
        let later = (0..<8).map { _ in sampler.decide(body: [], now: 100.5) }
        #expect(later.filter { $0 == .compare }.count == 5)
        // A clock that goes back refills nothing.
        let backwards = sampler.decide(body: [], now: 50)
        #expect(backwards == .rateLimited)
    }

    @Test func tokenBucketNeverSavesMoreThanItsBurst() {
        var bucket = TokenBucket(rate: 2, burst: 3)
        let first = bucket.take(now: 0)
        #expect(first)
        // An hour idle refills to the burst, not to 7,200.
        let taken = (0..<10).filter { _ in bucket.take(now: 3600) }.count
        #expect(taken == 3)
    }
}

/// `modelwatch shadow` counts a window exactly from the recorded counters.
@Suite struct ShadowReportTests {
    static func samples(_ points: [(Int64, Double)]) -> [Sample] {
        points.map { Sample(timestamp: $0.0, value: $0.1) }
    }

    @Test func aWindowCountsWhatItsCountersAddedAcrossARestart() {
        // 10 before the window; 10 → 25, then a restart (back to 0) and 4 more: 15 + 4.
        let series = Self.samples([(50, 10), (100, 10), (150, 25), (200, 0), (250, 4)])
        #expect(ShadowQuery.increase(series, from: 120) == 19)
        // A series first seen inside the window counts from zero.
        #expect(ShadowQuery.increase(Self.samples([(150, 7), (200, 9)]), from: 120) == 9)
        #expect(ShadowQuery.increase(Self.samples([(50, 7)]), from: 120) == 0)
    }

    @Test func aFailedShadowBackendCountsUnderShadowAndItsFailureKind() {
        // The label values dashboards and the shipped alert runbooks name: `shadow_` + the kind.
        for kind in UpstreamFailure.Kind.allCases {
            #expect(ShadowErrorReason(kind).rawValue == "shadow_" + kind.rawValue)
        }
    }

    @Test func everyErrorReasonIsADistinctLabelValue() {
        let values = ShadowErrorReason.allCases.map(\.rawValue)
        #expect(Set(values).count == values.count)
        #expect(values.allSatisfy { !$0.isEmpty && !$0.contains(" ") })
    }
}
