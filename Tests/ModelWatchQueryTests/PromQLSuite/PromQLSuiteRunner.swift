import ModelWatchQuery

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs one file of Prometheus's PromQL tests through ModelWatch's engine, as Prometheus's own
/// test driver does: each `eval` as an instant query, then again as a range query over the minute
/// either side, comparing with a relative tolerance of 1e-6.
struct PromQLSuiteRunner {
    struct Outcome {
        var passed = 0
        var failed: [(line: Int, expression: String, reason: String)] = []
        var skipped: [(line: Int, reason: String)] = []
    }

    /// Cases that are not run, by line, with the reason.
    let skips: [Int: String]

    func run(_ script: PromQLTestScript) -> Outcome {
        var outcome = Outcome()
        var source = InMemorySeriesSource()
        var options = QueryEngine.Options()
        options.maxSamples = 10_000
        for command in script.commands {
            switch command {
            case .clear:
                source = InMemorySeriesSource()
            case .load(let step, let series, _):
                for (labels, values) in series {
                    for (index, value) in values.enumerated() {
                        guard let value else { continue }
                        source.append(labels, timestamp: Int64(index) * step, value: value)
                    }
                }
                source.finish()
            case .eval(let expression, let time, let expected, let fails, let ordered, let line):
                if let reason = self.skips[line] {
                    outcome.skipped.append((line, reason))
                    continue
                }
                let engine = QueryEngine(source: source, options: options)
                if let failure = Self.check(engine, expression, time, expected, fails: fails, ordered: ordered) {
                    outcome.failed.append((line, expression, failure))
                } else {
                    outcome.passed += 1
                }
            }
        }
        return outcome
    }

    /// Nil when the case passes, else why not.
    static func check(
        _ engine: QueryEngine, _ expression: String, _ time: Int64, _ expected: [PromQLTestScript.Expected], fails: Bool, ordered: Bool
    ) -> String? {
        let parsed: PromQLExpression
        do {
            parsed = try Parser.parse(expression)
        } catch {
            return fails ? nil : "error: \(error)"
        }
        if let failure = Self.check(engine, parsed, time, expected, fails: fails, ordered: ordered) { return failure }
        for (pinned, pinnedTime) in AtModifierVariants.cases(parsed, time: time) {
            if let failure = Self.check(engine, pinned, pinnedTime, expected, fails: fails, ordered: ordered) {
                return "with @ \(time / 1000) at \(pinnedTime)ms: \(failure)"
            }
        }
        return nil
    }

    private static func check(
        _ engine: QueryEngine, _ expression: PromQLExpression, _ time: Int64, _ expected: [PromQLTestScript.Expected], fails: Bool,
        ordered: Bool
    ) -> String? {
        let result: QueryValue
        do {
            result = try engine.instantQuery(expression, at: time)
        } catch {
            return fails ? nil : "error: \(error)"
        }
        if fails { return "expected an error, got \(Self.describe(result))" }
        if let mismatch = Self.compare(result, expected, ordered: ordered) { return mismatch }

        let range: QueryValue
        do {
            range = try engine.rangeQuery(expression, start: time - 60_000, end: time + 60_000, step: 60_000)
        } catch {
            return "range mode: error: \(error)"
        }
        if ordered { return nil }
        guard case .matrix(let series) = range else { return "range mode: not a matrix" }
        var samples: [VectorSample] = []
        for one in series {
            if let point = one.points.first(where: { $0.timestamp == time }) {
                samples.append(VectorSample(labels: one.labels, timestamp: time, value: point.value))
            }
        }
        let atTime: QueryValue
        if case .scalar = result {
            guard let first = samples.first else { return "range mode: no scalar at the evaluation time" }
            atTime = .scalar(timestamp: time, value: first.value)
        } else {
            atTime = .vector(samples)
        }
        if let mismatch = Self.compare(atTime, expected, ordered: false) { return "range mode: \(mismatch)" }
        return nil
    }

    static func describe(_ value: QueryValue) -> String {
        switch value {
        case .scalar(_, let number): "scalar \(number)"
        case .string(_, let text): "string \(text)"
        case .vector(let samples): "vector " + samples.map { "\($0.labels) \($0.value)" }.joined(separator: "; ")
        case .matrix(let series): "matrix of \(series.count) series"
        }
    }

    static func compare(_ result: QueryValue, _ expected: [PromQLTestScript.Expected], ordered: Bool) -> String? {
        switch result {
        case .matrix:
            return "received range result on instant evaluation"
        case .string:
            return "unexpected string result"
        case .scalar(_, let value):
            guard let first = expected.first, first.labels == nil else { return "got scalar \(value), expected a vector" }
            return Self.almostEqual(first.value, value) ? nil : "expected scalar \(first.value) but got \(value)"
        case .vector(let samples):
            var positions: [Labels: (Int, Double)] = [:]
            for (index, entry) in expected.enumerated() {
                guard let labels = entry.labels else { return "got a vector, expected scalar \(entry.value)" }
                positions[labels] = (index, entry.value)
            }
            var seen = Set<Labels>()
            for (position, sample) in samples.enumerated() {
                guard let (index, value) = positions[sample.labels] else {
                    return "unexpected metric \(sample.labels) in result (\(Self.describe(result)))"
                }
                if ordered && index != position {
                    return "expected metric \(sample.labels) at position \(index + 1) but was at \(position + 1)"
                }
                if !Self.almostEqual(value, sample.value) {
                    return "expected \(value) for \(sample.labels) but got \(sample.value)"
                }
                seen.insert(sample.labels)
            }
            for labels in positions.keys where !seen.contains(labels) {
                return "expected metric \(labels) not found (\(Self.describe(result)))"
            }
            return nil
        }
    }

    /// Prometheus's test tolerance: relative 1e-6, NaN equals NaN.
    static func almostEqual(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN && b.isNaN { return true }
        if a == b { return true }
        let minNormal = Double(bitPattern: 0x0010_0000_0000_0000)
        let difference = abs(a - b)
        if a == 0 || b == 0 || difference < minNormal { return difference < 1e-6 * minNormal }
        return difference / (abs(a) + abs(b)) < 1e-6
    }
}
