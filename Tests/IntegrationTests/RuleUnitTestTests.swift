import Foundation
import Testing

/// `modelwatch test rules` against `promtool test rules` (Prometheus 2.42): the shipped alerts and
/// promtool's own fixtures from Debian's source package get the same verdicts from both.
@Suite("Rule unit tests agree with promtool", .serialized, .timeLimit(.minutes(10)))
struct RuleUnitTestTests {
    static let root = ModelServerProcess.repositoryRoot
    static let rules = root.appendingPathComponent("alerts/modelwatch.rules.yaml").path
    static let tests = root.appendingPathComponent("alerts/modelwatch.rules.test.yaml").path

    /// promtool's fixtures for `test rules`, each with the verdict promtool's own tests expect.
    static let fixtures = [
        "unittest.yml", "long-period.yml", "at-modifier-test.yml", "negative-offset-test.yml", "bad-input-series.yml",
        "bad-promql.yml", "bad-rules-syntax-test.yml", "bad-rules-error-test.yml", "failing.yml",
    ]

    /// `cmd/promtool/testdata` from what `.ci/fetch-promql-tests.sh` unpacked.
    static let fixtureDirectory: String? = {
        let peers = root.appendingPathComponent(".peers/prometheus")
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: peers.path) else { return nil }
        for entry in entries.sorted() {
            let candidate = peers.appendingPathComponent(entry).appendingPathComponent("cmd/promtool/testdata").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return nil
    }()

    static let fixturesPresent = fixtureDirectory != nil || ProcessInfo.processInfo.environment["CI"] == "true"

    @Test("the shipped rules pass promtool check rules, promtool test rules and modelwatch test rules")
    func shippedRulesPass() async throws {
        let promtool = try #require(Tool.find("promtool"), "promtool is not installed: run `bash .ci/setup.sh` first")
        let check = try await Tool.run(promtool, ["check", "rules", Self.rules], input: "")
        #expect(check.status == 0, "promtool check rules: \(check.output)")
        let reference = try await Tool.run(promtool, ["test", "rules", Self.tests], input: "")
        #expect(reference.status == 0, "promtool test rules: \(reference.output)")
        let ours = try await ModelWatchProcess.run(["test", "rules", Self.tests])
        #expect(ours.status == 0, "modelwatch test rules: \(ours.output)")
        #expect(ours.output.contains("SUCCESS"))
    }

    @Test("a shipped test made wrong fails in both, with the same failing alerts")
    func brokenExpectationsFailInBoth() async throws {
        let promtool = try #require(Tool.find("promtool"), "promtool is not installed: run `bash .ci/setup.sh` first")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // The error ratio threshold raised past the data's 10%, and the drift annotation reworded.
        let rules = try String(contentsOfFile: Self.rules, encoding: .utf8)
            .replacing("/ model_version:modelwatch_requests:rate5m > 0.05", with: "/ model_version:modelwatch_requests:rate5m > 0.5")
            .replacing("drifted (PSI {{ printf \\\"%.2f\\\" $value }})", with: "drifted (PSI {{ $value }})")
        try rules.write(to: directory.appendingPathComponent("modelwatch.rules.yaml"), atomically: true, encoding: .utf8)
        let testPath = directory.appendingPathComponent("modelwatch.rules.test.yaml").path
        try FileManager.default.copyItem(atPath: Self.tests, toPath: testPath)

        let reference = try await Tool.run(promtool, ["test", "rules", testPath], input: "")
        let ours = try await ModelWatchProcess.run(["test", "rules", testPath])
        #expect(reference.status == 1, "promtool: \(reference.output)")
        #expect(ours.status == 1, "modelwatch: \(ours.output)")
        for alert in ["ModelErrorRatioHigh", "ModelFeatureDrift"] {
            #expect(reference.output.contains("alertname: \(alert)"))
            #expect(ours.output.contains("alertname: \(alert)"), "\(ours.output)")
        }
        #expect(ours.output.contains("Feature petal_length of iris drifted (PSI 0.4)"))
    }

    @Test("promtool's own fixtures get promtool's verdicts", .enabled(if: fixturesPresent), arguments: fixtures)
    func promtoolFixtures(_ fixture: String) async throws {
        let directory = try #require(Self.fixtureDirectory, "run `bash .ci/fetch-promql-tests.sh` first")
        let promtool = try #require(Tool.find("promtool"), "promtool is not installed: run `bash .ci/setup.sh` first")
        let path = directory + "/" + fixture
        let reference = try await Tool.run(promtool, ["test", "rules", path], input: "")
        let ours = try await ModelWatchProcess.run(["test", "rules", path])
        #expect(ours.status == reference.status, "promtool: \(reference.output)\nmodelwatch: \(ours.output)")
        // Failures are counted alike: one report line per failing case.
        #expect(
            Self.failureCount(ours.output) == Self.failureCount(reference.output),
            "promtool: \(reference.output)\nmodelwatch: \(ours.output)")
    }

    @Test("templates expand to the same text as Prometheus's, failing ones included")
    func templatesMatchPromtool() async throws {
        let promtool = try #require(Tool.find("promtool"), "promtool is not installed: run `bash .ci/setup.sh` first")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rules = #"""
            groups:
              - name: g
                rules:
                  - alert: T
                    expr: label_replace(vector(1234567.0), "instance", "host-1.example:9090", "", "")
                    labels:
                      size: '{{ $value | humanize }}'
                    annotations:
                      a: '{{ humanize "abc" }}'
                      b: '{{ $value }} {{ printf "%.1f|%d|%5.2f|%s|%q" 1.25 3 2.0 "x" "y" }} {{ title "hello wORLD-x_y" }}'
                      c: '{{ if gt $value 1 }}x{{ end }}'
                      d: '{{ range $k, $v := $labels }}{{ $k }}={{ $v }} {{ end }}{{ humanizeDuration 90061 }} {{ humanize1024 2048 }}'
                      e: '{{ 0.000012 | humanize }} {{ 0.1234 | humanizePercentage }} {{ toUpper "a" }}{{ toLower "B" }} {{ stripPort $labels.instance }}'
                      f: '{{ reReplaceAll "(.*)-(\\d)" "$2:$1" $labels.instance }} {{ with $labels.none }}x{{ else }}none{{ end }} {{ printf "%d" $value }}'
            """#
        let tests = """
            rule_files: [rules.yaml]
            tests:
              - interval: 1m
                alert_rule_test:
                  - eval_time: 0m
                    alertname: T
                    exp_alerts: []
            """
        try rules.write(to: directory.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let testPath = directory.appendingPathComponent("tests.yaml").path
        try tests.write(toFile: testPath, atomically: true, encoding: .utf8)
        let reference = try await Tool.run(promtool, ["test", "rules", testPath], input: "")
        let ours = try await ModelWatchProcess.run(["test", "rules", testPath])
        // The test fails on purpose: its report shows the expanded labels and annotations.
        let expanded = { (report: String) in report.split(separator: "\n").filter { $0.contains("Labels:") || $0.contains("Annotations:") }
        }
        #expect(!expanded(reference.output).isEmpty, "\(reference.output)")
        #expect(expanded(ours.output) == expanded(reference.output), "promtool: \(reference.output)\nmodelwatch: \(ours.output)")
    }

    static func failureCount(_ report: String) -> Int {
        report.split(separator: "\n").filter { line in
            line.hasPrefix("    alertname:") || line.hasPrefix("    expr:") || line.hasPrefix("    rule:")
        }.count
    }
}
