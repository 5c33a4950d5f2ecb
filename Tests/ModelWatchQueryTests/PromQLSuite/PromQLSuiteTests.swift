import Foundation
import TestSupport
import Testing

/// Where the fetched test files are: `MODELWATCH_PROMQL_TESTDATA`, or what `.ci/fetch-promql-tests.sh` unpacked.
enum PromQLSuiteLocation {
    static let directory: String? = {
        if let explicit = ProcessInfo.processInfo.environment["MODELWATCH_PROMQL_TESTDATA"] { return explicit }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let peers = root.appendingPathComponent(".peers/prometheus")
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: peers.path) else { return nil }
        for entry in entries.sorted() {
            let candidate = peers.appendingPathComponent(entry).appendingPathComponent("promql/testdata")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return candidate.path
            }
        }
        return nil
    }()

    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Run when the files are there, and always in CI, where their absence is a failure.
    static let shouldRun = directory != nil || isCI
}

/// Cases of the suite ModelWatch does not run, by file and line, each with its reason.
let promQLSuiteSkips: [String: [Int: String]] = [:]

/// The files every case of which must pass.
let promQLRequiredFiles = [
    "aggregators", "at_modifier", "collision", "functions", "histograms", "literals", "operators", "selectors", "subquery",
    "trig_functions",
]

@Suite("Prometheus's PromQL test suite")
struct PromQLSuiteTests {
    @Test(
        .enabled(
            if: PromQLSuiteLocation.shouldRun,
            "Prometheus's test files are not fetched (run .ci/fetch-promql-tests.sh); in CI this fails instead"),
        arguments: promQLRequiredFiles + ["staleness"])
    func file(_ name: String) async throws {
        let directory = try #require(PromQLSuiteLocation.directory, "no promql/testdata: run .ci/fetch-promql-tests.sh")
        let path = directory + "/" + name + ".test"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        // Seconds of evaluation: on a thread of its own, so the tests that talk to servers keep
        // Swift concurrency's two threads.
        let outcome = try await onOwnThread {
            PromQLSuiteRunner(skips: promQLSuiteSkips[name] ?? [:]).run(try PromQLTestScript(text))
        }
        let summary = "\(name).test: \(outcome.passed) passed, \(outcome.failed.count) failed, \(outcome.skipped.count) skipped"
        let details = outcome.failed.map { "  line \($0.line): \($0.expression)\n    \($0.reason)" }.joined(separator: "\n")
        if ProcessInfo.processInfo.environment["PROMQL_SUITE_REPORT"] != nil {
            FileHandle.standardError.write(Data((summary + "\n" + details + "\n").utf8))
        }
        if promQLRequiredFiles.contains(name) {
            #expect(outcome.failed.isEmpty, "\(summary)\n\(details)")
        }
    }
}
