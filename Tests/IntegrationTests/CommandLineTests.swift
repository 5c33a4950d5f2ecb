import Foundation
import Testing

/// The CLI as a person meets it: every error is one line naming the file, key or argument (exit 1,
/// or 2 for a command line that does not parse), never usage text or a Foundation dump; what
/// `check` accepts `serve` starts, and what `check` refuses `serve` refuses the same way.
@Suite("Command line")
struct CommandLineTests {
    /// A scratch directory with a config file in it, removed afterwards.
    private static func withDirectory(_ body: (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(directory)
    }

    /// Exactly one line, the product's own, nothing of ArgumentParser's usage or Foundation's dumps.
    private static func expectOneLine(_ output: String, containing parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "\(output)", sourceLocation: sourceLocation)
        #expect(output.hasPrefix("modelwatch: "), "\(output)", sourceLocation: sourceLocation)
        for part in parts { #expect(output.contains(part), "\(output)", sourceLocation: sourceLocation) }
        for noise in ["Usage:", "NSCocoaErrorDomain", "DecodingError", "Error Domain", "CodingKeys"] {
            #expect(!output.contains(noise), "\(output)", sourceLocation: sourceLocation)
        }
    }

    @Test("a missing config file, a directory and an unknown flag: one line each, exit 1 or 2")
    func basicErrors() async throws {
        let missing = try await ModelWatchProcess.run(["check", "--config", "/nonexistent/modelwatch.yaml"])
        #expect(missing.status == 1)
        Self.expectOneLine(missing.output, containing: ["/nonexistent/modelwatch.yaml", "no such file or directory"])

        let directory = try await ModelWatchProcess.run(["check", "--config", "/tmp"])
        #expect(directory.status == 1)
        Self.expectOneLine(directory.output, containing: ["/tmp", "is a directory"])

        let unknown = try await ModelWatchProcess.run(["check", "--bogus"])
        #expect(unknown.status == 2)
        Self.expectOneLine(unknown.output, containing: ["--bogus"])

        let badFormat = try await ModelWatchProcess.run(["query", "--db", "x.db", "up", "--format", "xml"])
        #expect(badFormat.status == 2)
        Self.expectOneLine(badFormat.output, containing: ["--format"])

        let noStore = try await ModelWatchProcess.run(["drift", "--db", "/nonexistent.db", "--model", "iris"])
        #expect(noStore.status == 1)
        Self.expectOneLine(noStore.output, containing: ["/nonexistent.db"])

        let help = try await ModelWatchProcess.run(["check", "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("USAGE"))
    }

    @Test(
        "check refuses what serve could not start, and serve refuses it with the same line",
        arguments: [
            ("server:\n  listen: 127.0.0.1:9464\n", "server.listen", "cannot be the same port"),
            ("server:\n  listen: 0.0.0.0:7000\nadmin:\n  listen: 127.0.0.1:7000\n", "admin.listen", "cannot be the same port"),
            ("storage:\n  path: /nonexistent-dir/history.db\n", "storage.path", "does not exist"),
            ("upstream:\n  ca_file: missing-ca.pem\n", "upstream.ca_file", "no such file or directory"),
            ("upstream:\n  ca_file: not-a-ca.pem\n", "upstream.ca_file", "holds no PEM certificate"),
            ("storage:\n  path: not-a-store.db\n", "storage.path", "is not a ModelWatch store"),
            (
                "shadow:\n  models:\n    iris:\n      reference: corrupt.onnx\n      outputs: {label: predict}\n",
                "shadow.models.iris.reference",
                "cannot load the reference model"
            ),
        ])
    func checkEqualsServe(section: String, key: String, message: String) async throws {
        try await Self.withDirectory { directory in
            try "just text\n".write(toFile: directory + "/not-a-ca.pem", atomically: true, encoding: .utf8)
            try String(repeating: "not a database ", count: 100).write(
                toFile: directory + "/not-a-store.db", atomically: true, encoding: .utf8)
            try String(repeating: "not an onnx model ", count: 10).write(
                toFile: directory + "/corrupt.onnx", atomically: true, encoding: .utf8)
            let config = directory + "/modelwatch.yaml"
            // Two `upstream` mappings would be a duplicate key: the URL joins the section that has one.
            let text =
                section.hasPrefix("upstream:")
                ? section.replacingOccurrences(of: "upstream:\n", with: "upstream:\n  url: https://127.0.0.1:1\n")
                : "upstream:\n  url: http://127.0.0.1:1\n" + section
            try text.write(toFile: config, atomically: true, encoding: .utf8)

            let check = try await ModelWatchProcess.run(["check", "--config", config])
            #expect(check.status == 1)
            Self.expectOneLine(check.output, containing: [config, key, message])
            let serve = try await ModelWatchProcess.run(["serve", "--config", config])
            #expect(serve.status == 1)
            #expect(
                serve.output.trimmingCharacters(in: .whitespacesAndNewlines) == check.output.trimmingCharacters(in: .whitespacesAndNewlines)
            )
        }
    }

    @Test("a flag that fixes a bad file value is accepted; a flag that is itself bad is named")
    func flagsAreNamed() async throws {
        try await Self.withDirectory { directory in
            let config = directory + "/modelwatch.yaml"
            try "upstream:\n  url: http://127.0.0.1:1\nstorage:\n  path: /nonexistent-dir/h.db\n".write(
                toFile: config, atomically: true, encoding: .utf8)
            let fixed = try await ModelWatchProcess.run(["check", "--config", config, "--storage-path", directory + "/h.db"])
            #expect(fixed.status == 0, "\(fixed.output)")
            let clash = try await ModelWatchProcess.run([
                "check", "--config", config, "--storage-path", directory + "/h.db", "--listen", ":9464",
            ])
            #expect(clash.status == 1)
            Self.expectOneLine(clash.output, containing: ["--listen", "cannot be the same port"])
        }
    }

    @Test("relative paths in a config file resolve against the file's directory, not the working directory")
    func relativePaths() async throws {
        try await Self.withDirectory { directory in
            let baseline = ModelServerProcess.repositoryRoot.appendingPathComponent("examples/iris-baseline.json").path
            try FileManager.default.copyItem(atPath: baseline, toPath: directory + "/iris-baseline.json")
            try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
            let config = directory + "/modelwatch.yaml"
            try """
            upstream:
              url: http://127.0.0.1:1
            storage:
              path: data/history.db
            drift:
              models:
                iris:
                  baseline: iris-baseline.json
            """.write(toFile: config, atomically: true, encoding: .utf8)
            // The test runs elsewhere: neither data/ nor iris-baseline.json is in its working directory.
            #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/iris-baseline.json"))
            let check = try await ModelWatchProcess.run(["check", "--config", config])
            #expect(check.status == 0, "\(check.output)")
        }
    }

    @Test("a baseline file with a field missing names the field, not the decoder")
    func baselineErrors() async throws {
        try await Self.withDirectory { directory in
            try #"{"format":"modelwatch-baseline"}"#.write(toFile: directory + "/b.json", atomically: true, encoding: .utf8)
            let config = directory + "/modelwatch.yaml"
            try "upstream:\n  url: http://127.0.0.1:1\ndrift:\n  models:\n    m:\n      baseline: b.json\n".write(
                toFile: config, atomically: true, encoding: .utf8)
            let check = try await ModelWatchProcess.run(["check", "--config", config])
            #expect(check.status == 1)
            Self.expectOneLine(check.output, containing: [config + ":6", "drift.models.m.baseline", "missing field"])
        }
    }

    @Test("baseline build refuses a --categorical column it does not use and a reference too small to bin")
    func baselineBuildRefuses() async throws {
        try await Self.withDirectory { directory in
            let tiny = directory + "/tiny.csv"
            try "a,b\n1,2\n3,4\n".write(toFile: tiny, atomically: true, encoding: .utf8)
            let small = try await ModelWatchProcess.run([
                "baseline", "build", "--model", "m", "--input", tiny, "--out", directory + "/o.json",
            ])
            #expect(small.status == 1)
            Self.expectOneLine(small.output, containing: [tiny, "has 2 rows", "at least 20"])
            #expect(!FileManager.default.fileExists(atPath: directory + "/o.json"))

            let rows = (0..<50).map { "\($0),\($0 % 3)" }
            try (["a,label"] + rows).joined(separator: "\n").write(toFile: directory + "/ref.csv", atomically: true, encoding: .utf8)
            let stray = try await ModelWatchProcess.run([
                "baseline", "build", "--model", "m", "--input", directory + "/ref.csv", "--outputs", "label", "--categorical", "lable",
                "--out", directory + "/o.json",
            ])
            #expect(stray.status == 1)
            Self.expectOneLine(stray.output, containing: ["--categorical lable", "not a feature or output"])

            let fine = try await ModelWatchProcess.run([
                "baseline", "build", "--model", "m", "--input", directory + "/ref.csv", "--outputs", "label", "--categorical", "label",
                "--out", directory + "/o.json",
            ])
            #expect(fine.status == 0, "\(fine.output)")
            #expect(fine.output.contains("warning: 50 reference rows is few"))
        }
    }
}
