import Foundation
import ModelWatchQuery
import ModelWatchStore

/// Runs rule unit-test files in promtool's format (`rule_files`, `evaluation_interval`,
/// `group_eval_order`, `tests` of `input_series`, `alert_rule_test` and `promql_expr_test`) with
/// `promtool test rules`'s semantics and verdicts.
public enum RuleTestRunner {
    /// The verdict on one test file.
    public struct FileResult: Sendable {
        /// The test file.
        public let path: String
        /// Every failure, worded as promtool words it; empty when the file passed.
        public let errors: [String]
        /// Whether every test of the file passed.
        public var passed: Bool { self.errors.isEmpty }
    }

    /// Runs one test file.
    public static func run(path: String) -> FileResult {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            return FileResult(path: path, errors: ["open \(path): \(error.localizedDescription)"])
        }
        let file: RuleTestFile
        do {
            file = try RuleTestFile.parse(text, path: path)
        } catch {
            return FileResult(path: path, errors: [error.description])
        }
        let directory = (path as NSString).deletingLastPathComponent
        var ruleFiles: [String] = []
        for pattern in file.ruleFiles {
            let full = pattern.hasPrefix("/") || directory.isEmpty ? pattern : directory + "/" + pattern
            ruleFiles += Self.glob(full)
        }
        var order: [String: Int] = [:]
        for (index, name) in file.groupOrder.enumerated() {
            guard order[name] == nil else { return FileResult(path: path, errors: ["group name repeated in evaluation order: \(name)"]) }
            order[name] = index
        }
        var errors: [String] = []
        for group in file.tests {
            errors += Self.run(group, ruleFiles: ruleFiles, evaluationInterval: file.evaluationInterval, order: order)
        }
        return FileResult(path: path, errors: errors)
    }

    /// The report promtool prints for a run: standard output and standard error.
    public static func report(_ results: [FileResult]) -> (output: String, errors: String) {
        var output = ""
        var errors = ""
        for result in results {
            output += "Unit Testing:  \(result.path)\n"
            if result.passed {
                output += "  SUCCESS\n"
            } else {
                errors += "  FAILED:\n"
                for error in result.errors {
                    errors += error + "\n"
                    output += "\n"
                }
            }
            output += "\n"
        }
        return (output, errors)
    }

    private static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in result.gl_pathv[index].map { String(cString: $0) } }
    }

    private static func run(_ test: RuleTestFile.TestGroup, ruleFiles: [String], evaluationInterval: Int64, order: [String: Int])
        -> [String]
    {
        var storage = TestStorage()
        for input in test.inputSeries {
            let labels: Labels
            do {
                labels = try Self.metric(input.series)
            } catch {
                return ["\(error)"]
            }
            guard let values = SeriesNotation.expand(input.values) else {
                return ["error in input series \(input.series): cannot parse values \"\(input.values)\""]
            }
            for (index, value) in values.enumerated() {
                guard let value else { continue }
                storage.append(labels, timestamp: Int64(index) * test.interval, value: value)
            }
        }
        var evaluators: [RuleGroupEvaluator] = []
        var loadErrors: [String] = []
        for path in ruleFiles {
            do {
                for group in try RuleFileLoader.load(path: path) {
                    evaluators.append(
                        RuleGroupEvaluator(
                            group: group, defaultInterval: test.interval, externalLabels: test.externalLabels, externalURL: test.externalURL
                        ))
                }
            } catch {
                loadErrors.append(error.description)
            }
        }
        if !loadErrors.isEmpty { return loadErrors }
        evaluators = evaluators.enumerated().sorted { left, right in
            let leftOrder = order[left.element.group.name] ?? 0
            let rightOrder = order[right.element.group.name] ?? 0
            return leftOrder != rightOrder ? leftOrder < rightOrder : left.offset < right.offset
        }.map(\.element)
        var options = QueryEngine.Options()
        options.defaultSubqueryStep = evaluationInterval

        var errors: [String] = []
        for alertTest in test.alertTests where alertTest.alertname.isEmpty {
            let group = test.name.isEmpty ? "" : " (in TestGroup \(test.name))"
            return [
                "an item under alert_rule_test misses required attribute alertname at eval_time \(RuleDuration.format(alertTest.evalTime))\(group)"
            ]
        }
        let alertTimes = Set(test.alertTests.map(\.evalTime)).sorted()
        let maxTime = (test.alertTests.map(\.evalTime) + test.expressionTests.map(\.evalTime)).max() ?? 0
        var current = 0
        var time: Int64 = 0
        while time <= maxTime {
            var evaluationErrors: [String] = []
            for index in evaluators.indices {
                let evaluation = evaluators[index].evaluate(at: time, source: storage.source(through: time), options: options)
                for output in evaluation.outputs { storage.append(output.labels, timestamp: output.timestamp, value: output.value) }
                for rule in evaluators[index].rules {
                    if let error = rule.lastError {
                        evaluationErrors.append("    rule: \(rule.rule.name), time: \(Self.goDuration(time)), err: \(error)")
                    }
                }
            }
            errors += evaluationErrors
            if !evaluationErrors.isEmpty { return errors }
            while current < alertTimes.count, time <= alertTimes[current], alertTimes[current] < time + evaluationInterval {
                let evalTime = alertTimes[current]
                errors += Self.checkAlerts(test, at: evalTime, evaluators: evaluators)
                current += 1
            }
            let (next, overflow) = time.addingReportingOverflow(evaluationInterval)
            if overflow { break }
            time = next
        }
        let source = storage.source(through: maxTime)
        let engine = QueryEngine(source: source, options: options)
        for expressionTest in test.expressionTests {
            errors += Self.check(expressionTest, engine: engine)
        }
        return errors
    }

    private struct LabeledAlert: Comparable {
        let labels: Labels
        let annotations: Labels

        static func < (lhs: LabeledAlert, rhs: LabeledAlert) -> Bool {
            lhs.labels != rhs.labels ? lhs.labels < rhs.labels : lhs.annotations < rhs.annotations
        }

        var text: String { "Labels:\(Self.format(self.labels))\nAnnotations:\(Self.format(self.annotations))" }

        static func format(_ labels: Labels) -> String {
            "{" + labels.pairs.map { "\($0.name)=\(GoPrintf.quote($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    private static func checkAlerts(_ test: RuleTestFile.TestGroup, at evalTime: Int64, evaluators: [RuleGroupEvaluator]) -> [String] {
        var errors: [String] = []
        for alertTest in test.alertTests where alertTest.evalTime == evalTime {
            var got: [LabeledAlert] = []
            for evaluator in evaluators {
                for rule in evaluator.rules {
                    guard case .alerting(let alerting) = rule.rule, alerting.name == alertTest.alertname, let machine = rule.machine else {
                        continue
                    }
                    for alert in machine.current where alert.state == .firing {
                        got.append(
                            LabeledAlert(
                                labels: alert.labels, annotations: Labels(alert.annotations.map { SeriesKey.Label($0.key, $0.value) })))
                    }
                }
            }
            var expected = alertTest.expected.map { alert in
                var labels = alert.labels
                labels["alertname"] = alertTest.alertname
                return LabeledAlert(
                    labels: Labels(labels.map { SeriesKey.Label($0.key, $0.value) }),
                    annotations: Labels(alert.annotations.map { SeriesKey.Label($0.key, $0.value) }))
            }
            got.sort()
            expected.sort()
            if got != expected {
                let name = test.name.isEmpty ? "" : "    name: \(test.name),\n"
                errors.append(
                    "\(name)    alertname: \(alertTest.alertname), time: \(RuleDuration.format(evalTime)), \n        exp:\(Self.describe(expected)), \n        got:\(Self.describe(got))"
                )
            }
        }
        return errors
    }

    private static func describe(_ alerts: [LabeledAlert]) -> String {
        guard !alerts.isEmpty else { return "[]" }
        let indent = "            "
        var text = "[\n0:" + Self.indent("\n" + alerts[0].text, "  ")
        for (index, alert) in alerts.dropFirst().enumerated() { text += ",\n\(index + 1):" + Self.indent("\n" + alert.text, "  ") }
        text += "\n]"
        return Self.indent(text, indent)
    }

    private static func indent(_ text: String, _ prefix: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map {
            $0.offset == 0 ? String($0.element) : prefix + $0.element
        }
        .joined(separator: "\n")
    }

    private static func check(_ test: RuleTestFile.ExpressionTest, engine: QueryEngine) -> [String] {
        let at = "    expr: \(GoPrintf.quote(test.expression)), time: \(RuleDuration.format(test.evalTime))"
        var got: [(Labels, Double)] = []
        do {
            switch try engine.instantQuery(test.expression, at: test.evalTime) {
            case .vector(let samples): got = samples.map { ($0.labels, $0.value) }
            case .scalar(_, let value): got = [(.empty, value)]
            default: return ["\(at), err: unexpected result type"]
            }
        } catch {
            return ["\(at), err: \(error)"]
        }
        var expected: [(Labels, Double)] = []
        for sample in test.expected {
            do {
                expected.append((try Self.metric(sample.labels), sample.value))
            } catch {
                return ["\(at), err: labels \(GoPrintf.quote(sample.labels)): \(error)"]
            }
        }
        got.sort { $0.0 < $1.0 }
        expected.sort { $0.0 < $1.0 }
        let same = got.count == expected.count && zip(got, expected).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        if !same {
            return ["\(at),\n        exp: \(Self.describe(expected))\n        got: \(Self.describe(got))"]
        }
        return []
    }

    private static func describe(_ samples: [(Labels, Double)]) -> String {
        guard !samples.isEmpty else { return "nil" }
        return samples.map { LabeledAlert.format($0.0) + " " + GoFormat.exponent($0.1) }.joined(separator: ", ")
    }

    /// A metric as promtool writes one (`name{a="b"}`, `{a="b"}`, or empty for no labels).
    static func metric(_ text: String) throws(QueryError) -> Labels {
        if text.trimmingSpaces.isEmpty { return .empty }
        let expression = try Parser.parse(text)
        guard case .vectorSelector(let selector) = expression, selector.offset == 0, selector.at == nil,
            selector.matchers.allSatisfy({ $0.op == .equal })
        else {
            throw QueryError(.parse, "expected a metric such as name{label=\"value\"}", at: expression.position)
        }
        return Labels(selector.matchers.map { SeriesKey.Label($0.name, $0.value) })
    }

    /// Go's `time.Duration.String()` for whole milliseconds (`0s`, `1m0s`, `1h30m0s`, `1.5s`).
    static func goDuration(_ milliseconds: Int64) -> String {
        if milliseconds == 0 { return "0s" }
        let sign = milliseconds < 0 ? "-" : ""
        let total = milliseconds.magnitude
        let hours = total / 3_600_000
        let minutes = (total / 60_000) % 60
        let seconds = (total / 1000) % 60
        let fraction = total % 1000
        if total < 1000 { return "\(sign)\(total)ms" }
        var secondsText = "\(seconds)"
        if fraction > 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 3 - digits.count) + digits
            while digits.last == "0" { digits.removeLast() }
            secondsText += "." + digits
        }
        if hours > 0 { return "\(sign)\(hours)h\(minutes)m\(secondsText)s" }
        if minutes > 0 { return "\(sign)\(minutes)m\(secondsText)s" }
        return "\(sign)\(secondsText)s"
    }
}
