import Foundation
import TestSupport

/// A real Prometheus server (Debian's `prometheus` package) scraping the sidecar's admin port
/// every 500 ms, with its storage in a temporary folder, queried over its HTTP API; optionally
/// evaluating rule files every `evaluationInterval`.
final class PrometheusProcess: Sendable {
    private let server: ServerProcess

    var port: Int { self.server.port }

    private init(server: ServerProcess) {
        self.server = server
    }

    static func start(scraping targets: Int..., ruleFiles: [String] = [], evaluationInterval: String = "500ms") async throws
        -> PrometheusProcess
    {
        let directory = try ServerProcess.makeDirectory("prometheus")
        var configuration = """
            global:
              scrape_interval: 500ms
              evaluation_interval: \(evaluationInterval)
            scrape_configs:
              - job_name: modelwatch
                static_configs:
                  - targets: [\(targets.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", "))]
            """
        if !ruleFiles.isEmpty { configuration += "\nrule_files: [\(ruleFiles.joined(separator: ", "))]\n" }
        let configurationPath = directory.appendingPathComponent("prometheus.yml").path
        try configuration.write(toFile: configurationPath, atomically: true, encoding: .utf8)
        let server = try await ServerProcess.start("prometheus", in: directory) { port in
            [
                "--config.file=\(configurationPath)", "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
            ]
        }
        return PrometheusProcess(server: server)
    }

    var log: String { self.server.log }

    /// Runs an instant PromQL query.
    /// - Returns: each series' labels and value.
    func query(_ expression: String) async throws -> [(labels: [String: String], value: Double)] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = expression.addingPercentEncoding(withAllowedCharacters: allowed) ?? expression
        let response = try await TestClient.send(port: self.port, path: "/api/v1/query?query=\(encoded)")
        guard response.status == 200,
            let document = try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any],
            let data = document["data"] as? [String: Any], let result = data["result"] as? [[String: Any]]
        else { throw TestFailure("query \(expression) failed: \(response.status) \(response.text)") }
        return result.compactMap { series in
            guard let labels = series["metric"] as? [String: String], let sample = series["value"] as? [Any],
                let text = sample.last as? String, let value = Double(text)
            else { return nil }
            return (labels, value)
        }
    }

    /// Queries until `condition` holds on the result, or returns the last result.
    func query(
        _ expression: String, until condition: ([(labels: [String: String], value: Double)]) -> Bool, timeout: Duration = .seconds(15)
    ) async throws -> [(labels: [String: String], value: Double)] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let result = try await self.query(expression)
            if condition(result) || ContinuousClock.now >= deadline { return result }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func stop() async {
        await self.server.stop()
    }
}

/// Finds Debian-packaged tools the tests drive.
enum Tool {
    static func find(_ name: String) -> String? {
        for directory in ["/usr/bin", "/usr/local/bin", "/bin"] {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs a tool with `input` on its standard input.
    /// - Returns: its exit status and what it printed on both outputs.
    static func run(_ path: String, _ arguments: [String], input: String) async throws -> (status: Int32, output: String) {
        let directory = FileManager.default.temporaryDirectory
        let inputPath = directory.appendingPathComponent("tool-in-\(UUID().uuidString)").path
        let outputPath = directory.appendingPathComponent("tool-out-\(UUID().uuidString)").path
        try input.write(toFile: inputPath, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let status = try await onOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inputPath))
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
            process.standardOutput = output
            process.standardError = output
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        return (status, (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }
}
