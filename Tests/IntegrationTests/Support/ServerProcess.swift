import Foundation
import TestSupport

/// A Debian-packaged server the tests run for real (Prometheus, Alertmanager): started from a
/// folder of its own with its output in a log there, on a free loopback port, ready once its
/// `/-/ready` answers 200, and stopped with SIGTERM (SIGKILL after ten seconds).
final class ServerProcess: @unchecked Sendable {
    // @unchecked Sendable: the `Process` is driven by one test at a time.

    let port: Int
    /// The server's own folder: its configuration, storage and log.
    let directory: URL
    private let process: Process
    private let logPath: String

    private init(process: Process, port: Int, directory: URL, logPath: String) {
        self.process = process
        self.port = port
        self.directory = directory
        self.logPath = logPath
    }

    deinit {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
    }

    /// A fresh folder for a server's files.
    static func makeDirectory(_ name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Starts the Debian tool `tool` with the arguments `arguments(port)` and waits until it is ready.
    /// - Parameter port: where it listens; a free port unless given.
    static func start(_ tool: String, in directory: URL, port: Int? = nil, arguments: (Int) -> [String]) async throws -> ServerProcess {
        guard let binary = Tool.find(tool) else { throw TestFailure("\(tool) is not installed: run `bash .ci/setup.sh` first") }
        var listenPort = port ?? 0
        if listenPort == 0 { listenPort = try await freePort() }
        let logPath = directory.appendingPathComponent("\(tool).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments(listenPort)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let server = ServerProcess(process: process, port: listenPort, directory: directory, logPath: logPath)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw TestFailure("\(tool) exited at start:\n\(server.log)") }
            if let response = try? await TestClient.send(port: listenPort, path: "/-/ready"), response.status == 200 { return server }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("\(tool) did not become ready:\n\(server.log)")
    }

    var log: String { (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "" }

    func stop() async {
        self.process.terminate()
        let deadline = ContinuousClock.now + .seconds(10)
        while self.process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
    }
}
