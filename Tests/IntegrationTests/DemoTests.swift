import Foundation
import TestSupport
import Testing

/// The README's first command, as a new user runs it: `examples/demo.sh` must run to its end and
/// show what it promises — traffic through the sidecar, a malformed request counted as the 422 it
/// is under the model's version, and from the store file no drift before the shift and petal
/// length drifting after it.
@Suite("The demo (README command 1)")
struct DemoTests {
    @Test("the demo runs to its end: no drift before the shift, petal_length drifting after it, the 422 counted as such")
    func demoRunsToItsEnd() async throws {
        let root = ModelServerProcess.repositoryRoot.path
        let output = try await onOwnThread { () throws -> (status: Int32, text: String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["examples/demo.sh"]
            process.currentDirectoryURL = URL(fileURLWithPath: root)
            var environment = ProcessInfo.processInfo.environment
            // The debug binary the tests built: the demo's own release build is what users run.
            environment["MODELWATCH_BINARY"] = ModelWatchProcess.binary
            environment["DEMO_SHIFTED_SECONDS"] = "45"
            environment["DEMO_SECONDS"] = "300"
            process.environment = environment
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-demo-\(UUID().uuidString).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            process.waitUntilExit()
            try handle.close()
            defer { try? FileManager.default.removeItem(at: log) }
            return (process.terminationStatus, try String(contentsOf: log, encoding: .utf8))
        }
        let text = output.text
        #expect(output.status == 0, "\(text.suffix(3000))")

        // Traffic went through, and the malformed request is a 422 of version v1, not a version="" series.
        #expect(text.contains("predict 10 rows -> {\"model_name\":\"iris\",\"model_version\":\"v1\""))
        #expect(text.contains("[HTTP 422]"))
        #expect(
            text.contains(
                #"modelwatch_requests_total{model="iris",version="v1",protocol="v2",endpoint="infer",code="422",source="backend"}"#))
        #expect(text.contains(#"modelwatch_payload_decode_failures_total{model="iris",protocol="v2",reason="invalid_json"}"#))
        #expect(!text.contains(#"version="""#), "\(text.suffix(3000))")

        // The two judgements from the store file, each its own table.
        let before = try #require(Self.section(of: text, after: "BEFORE the shift", before: "AFTER the shift"))
        let after = try #require(Self.section(of: text, after: "AFTER the shift", before: nil))
        #expect(before.contains("settings as the sidecar judged"), "\(before)")
        for feature in ["sepal_length", "sepal_width", "petal_length", "petal_width"] {
            #expect(DriftTests.verdict(of: feature, in: before) == "ok", "\(before)")
        }
        #expect(before.contains("dataset drift share: 0.0000"), "\(before)")
        #expect(DriftTests.verdict(of: "petal_length", in: after) == "drift", "\(after)")
        for feature in ["sepal_length", "sepal_width", "petal_width"] {
            #expect(DriftTests.verdict(of: feature, in: after) == "ok", "\(after)")
        }
        #expect(after.contains("dataset drift share: 0.2500"), "\(after)")
    }

    /// The text between two markers.
    static func section(of text: String, after start: String, before end: String?) -> String? {
        guard let from = text.range(of: start) else { return nil }
        let rest = text[from.upperBound...]
        guard let end, let to = rest.range(of: end) else { return String(rest) }
        return String(rest[..<to.lowerBound])
    }
}
