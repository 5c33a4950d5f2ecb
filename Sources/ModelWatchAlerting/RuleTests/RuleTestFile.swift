import Foundation
import Yams

/// A rule unit-test file in promtool's format.
struct RuleTestFile {
    struct InputSeries {
        var series: String
        var values: String
        var line: Int?
    }

    struct ExpectedAlert {
        var labels: [String: String]
        var annotations: [String: String]
    }

    struct AlertTest {
        var evalTime: Int64
        var alertname: String
        var expected: [ExpectedAlert]
    }

    struct ExpectedSample {
        var labels: String
        var value: Double
    }

    struct ExpressionTest {
        var expression: String
        var evalTime: Int64
        var expected: [ExpectedSample]
    }

    struct TestGroup {
        var interval: Int64 = 0
        var inputSeries: [InputSeries] = []
        var alertTests: [AlertTest] = []
        var expressionTests: [ExpressionTest] = []
        var externalLabels: [String: String] = [:]
        var externalURL = ""
        var name = ""
    }

    var ruleFiles: [String] = []
    var evaluationInterval: Int64 = 60_000
    var groupOrder: [String] = []
    var tests: [TestGroup] = []

    static func parse(_ text: String, path: String) throws(RuleFileError) -> RuleTestFile {
        let reader = YAMLReader(path: path)
        var file = RuleTestFile()
        guard let root = try reader.document(text) else { return file }
        let keys: Set<String> = ["rule_files", "evaluation_interval", "group_eval_order", "tests"]
        for entry in try reader.mapping(root, allowed: keys, in: "main.unitTestFile") {
            switch entry.key {
            case "rule_files":
                file.ruleFiles = try reader.sequence(entry.value, of: "rule_files").map { node throws(RuleFileError) in
                    try reader.string(node, of: "rule_files")
                }
            case "evaluation_interval":
                let interval = try reader.duration(entry.value, of: "evaluation_interval")
                if interval > 0 { file.evaluationInterval = interval }
            case "group_eval_order":
                file.groupOrder = try reader.sequence(entry.value, of: "group_eval_order").map { node throws(RuleFileError) in
                    try reader.string(node, of: "group_eval_order")
                }
            default:
                for node in try reader.sequence(entry.value, of: "tests") { file.tests.append(try Self.group(node, reader)) }
            }
        }
        return file
    }

    private static func group(_ node: Node, _ reader: YAMLReader) throws(RuleFileError) -> TestGroup {
        var group = TestGroup()
        let keys: Set<String> = [
            "interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels", "external_url", "name",
        ]
        for entry in try reader.mapping(node, allowed: keys, in: "main.testGroup") {
            switch entry.key {
            case "interval": group.interval = try reader.duration(entry.value, of: "interval")
            case "input_series":
                for item in try reader.sequence(entry.value, of: "input_series") {
                    var series = InputSeries(series: "", values: "", line: reader.line(item))
                    for field in try reader.mapping(item, allowed: ["series", "values"], in: "main.series") {
                        if field.key == "series" {
                            series.series = try reader.string(field.value, of: "series")
                        } else {
                            series.values = try reader.string(field.value, of: "values")
                        }
                    }
                    group.inputSeries.append(series)
                }
            case "alert_rule_test":
                for item in try reader.sequence(entry.value, of: "alert_rule_test") {
                    var test = AlertTest(evalTime: 0, alertname: "", expected: [])
                    for field in try reader.mapping(item, allowed: ["eval_time", "alertname", "exp_alerts"], in: "main.alertTestCase") {
                        switch field.key {
                        case "eval_time": test.evalTime = try reader.duration(field.value, of: "eval_time")
                        case "alertname": test.alertname = try reader.string(field.value, of: "alertname")
                        default:
                            for alert in try reader.sequence(field.value, of: "exp_alerts") {
                                var expected = ExpectedAlert(labels: [:], annotations: [:])
                                for part in try reader.mapping(alert, allowed: ["exp_labels", "exp_annotations"], in: "main.alert") {
                                    let map = Dictionary(try reader.stringMap(part.value, of: part.key), uniquingKeysWith: { $1 })
                                    if part.key == "exp_labels" { expected.labels = map } else { expected.annotations = map }
                                }
                                test.expected.append(expected)
                            }
                        }
                    }
                    group.alertTests.append(test)
                }
            case "promql_expr_test":
                for item in try reader.sequence(entry.value, of: "promql_expr_test") {
                    var test = ExpressionTest(expression: "", evalTime: 0, expected: [])
                    for field in try reader.mapping(item, allowed: ["expr", "eval_time", "exp_samples"], in: "main.promqlTestCase") {
                        switch field.key {
                        case "expr": test.expression = try reader.string(field.value, of: "expr")
                        case "eval_time": test.evalTime = try reader.duration(field.value, of: "eval_time")
                        default:
                            for sample in try reader.sequence(field.value, of: "exp_samples") {
                                var expected = ExpectedSample(labels: "", value: 0)
                                for part in try reader.mapping(sample, allowed: ["labels", "value"], in: "main.sample") {
                                    if part.key == "labels" {
                                        expected.labels = try reader.string(part.value, of: "labels")
                                    } else {
                                        let text = try reader.string(part.value, of: "value")
                                        guard let value = GoFloatText.parse(text) else {
                                            throw reader.fail(part.value, "cannot unmarshal !!str `\(text)` into float64", code: .syntax)
                                        }
                                        expected.value = value
                                    }
                                }
                                test.expected.append(expected)
                            }
                        }
                    }
                    group.expressionTests.append(test)
                }
            case "external_labels":
                group.externalLabels = Dictionary(try reader.stringMap(entry.value, of: "external_labels"), uniquingKeysWith: { $1 })
            case "external_url": group.externalURL = try reader.string(entry.value, of: "external_url")
            default: group.name = try reader.string(entry.value, of: "name")
            }
        }
        return group
    }
}

/// Numbers as YAML writes them into a float64 (`1`, `1e3`, `.inf`, `.nan`).
enum GoFloatText {
    static func parse(_ text: String) -> Double? {
        switch text.lowercased() {
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        case ".nan": return .nan
        default: return Double(text)
        }
    }
}
