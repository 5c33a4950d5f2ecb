import Foundation
import NIOCore
import NIOPosix
import TestSupport

/// The real `modelwatch` binary, started with a configuration file written for one test.
final class ModelWatchProcess: @unchecked Sendable {
    // @unchecked Sendable: `Process` is used from one test at a time; its methods are thread-safe.

    private(set) var dataPort = 0
    private(set) var adminPort = 0
    let configurationPath: String
    /// The SQLite store the sidecar records into, in the test's own folder unless the test named one.
    let storagePath: String
    private let process: Process
    private let logPath: String

    /// The built executable: `MODELWATCH_BINARY`, or the one next to the test bundle.
    static var binary: String {
        if let configured = ProcessInfo.processInfo.environment["MODELWATCH_BINARY"] {
            return configured
        }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundleDirectory.appendingPathComponent("modelwatch").path
    }

    private init(process: Process, configurationPath: String, storagePath: String, logPath: String) {
        self.process = process
        self.configurationPath = configurationPath
        self.storagePath = storagePath
        self.logPath = logPath
    }

    deinit {
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
        }
    }

    /// Starts the sidecar in front of `upstream` and waits until its admin port answers.
    /// - Parameters:
    ///   - server: extra keys for the `server:` section.
    ///   - upstreamSettings: extra keys for the `upstream:` section.
    ///   - sections: further top-level YAML (`analysis:`, `models:` …), appended as given.
    static func start(
        upstream: String,
        server: [String: String] = [:],
        upstreamSettings: [String: String] = [:],
        sections: String = ""
    ) async throws -> ModelWatchProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Port 0: the kernel picks free ports, which the sidecar logs; no two tests can collide.
        var yaml = "server:\n  listen: 127.0.0.1:0\n"
        for (key, value) in server.sorted(by: { $0.key < $1.key }) { yaml += "  \(key): \(value)\n" }
        yaml += "admin:\n  listen: 127.0.0.1:0\nupstream:\n  url: \(upstream)\n"
        if upstreamSettings["readiness_interval"] == nil { yaml += "  readiness_interval: 200ms\n" }
        for (key, value) in upstreamSettings.sorted(by: { $0.key < $1.key }) { yaml += "  \(key): \(value)\n" }
        // Never the default `modelwatch.db` in the working directory: each test records into its own folder.
        var storagePath = directory.appendingPathComponent("modelwatch.db").path
        if let named = sections.split(separator: "\n").first(where: { $0.hasPrefix("  path: ") }) {
            storagePath = String(named.dropFirst("  path: ".count))
            yaml += sections
        } else if sections.hasPrefix("storage:\n") || sections.contains("\nstorage:\n") {
            yaml += ("\n" + sections).replacingOccurrences(of: "\nstorage:\n", with: "\nstorage:\n  path: \(storagePath)\n")
        } else {
            yaml += sections + "storage:\n  path: \(storagePath)\n"
        }
        let configurationPath = directory.appendingPathComponent("modelwatch.yaml").path
        try yaml.write(toFile: configurationPath, atomically: true, encoding: .utf8)
        return try await Self.start(configurationPath: configurationPath, storagePath: storagePath)
    }

    /// Starts another sidecar from a configuration an earlier one used: same upstream, same store.
    static func start(configurationPath: String, storagePath: String) async throws -> ModelWatchProcess {
        let logPath = URL(fileURLWithPath: configurationPath).deletingLastPathComponent()
            .appendingPathComponent("modelwatch-\(UUID().uuidString).log").path
        let process = try Self.launch(["serve", "--config", configurationPath, "--log-level", "debug"], logPath: logPath)
        let sidecar = ModelWatchProcess(process: process, configurationPath: configurationPath, storagePath: storagePath, logPath: logPath)
        try await sidecar.waitUntilListening()
        try await sidecar.waitUntilHealthy()
        return sidecar
    }

    /// Starts the binary without waiting for it to listen, for starts that are meant to fail.
    static func launch(configurationPath: String) throws -> ModelWatchProcess {
        let logPath = URL(fileURLWithPath: configurationPath).deletingLastPathComponent()
            .appendingPathComponent("modelwatch-\(UUID().uuidString).log").path
        let process = try Self.launch(["serve", "--config", configurationPath], logPath: logPath)
        return ModelWatchProcess(process: process, configurationPath: configurationPath, storagePath: "", logPath: logPath)
    }

    /// The process id, for tools such as `prlimit`.
    var processIdentifier: Int32 { self.process.processIdentifier }

    /// Runs `modelwatch` with arguments to completion.
    /// - Returns: its exit status and everything it printed.
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-run-\(UUID().uuidString).log").path
        let status = try await onOwnThread {
            let process = try Self.launch(arguments, logPath: logPath)
            process.waitUntilExit()
            return process.terminationStatus
        }
        return (status, (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
    }

    private static func launch(_ arguments: [String], logPath: String) throws -> Process {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
        return process
    }

    /// What the sidecar logged so far.
    var log: String {
        (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? ""
    }

    var isRunning: Bool { self.process.isRunning }

    /// The sidecar's resident memory in bytes, from `/proc`.
    var residentBytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(self.process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes * 1024
    }

    /// Signals the sidecar while it runs; after it has been reaped its pid may be another process's.
    func signal(_ signal: Int32) {
        guard self.process.isRunning else { return }
        kill(self.process.processIdentifier, signal)
    }

    /// Waits for the process to exit.
    /// - Returns: its exit status, or `nil` if it is still running after `timeout`.
    func waitForExit(timeout: Duration = .seconds(15)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return self.process.terminationStatus
    }

    /// Stops the sidecar with SIGTERM and waits for it.
    func stop() async {
        guard self.process.isRunning else { return }
        self.signal(SIGTERM)
        if await self.waitForExit() == nil {
            self.signal(SIGKILL)
        }
    }

    /// Reads the ports the sidecar bound from its "listening" log lines.
    private func waitUntilListening() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            for line in self.log.split(separator: "\n") where line.contains("listening") {
                guard let portField = line.split(separator: " ").first(where: { $0.hasPrefix("server.port=") }),
                    let port = Int(portField.dropFirst("server.port=".count))
                else { continue }
                if line.contains("server=data") { self.dataPort = port }
                if line.contains("server=admin") { self.adminPort = port }
            }
            if self.dataPort != 0 && self.adminPort != 0 { return }
            guard self.process.isRunning else {
                throw TestFailure("modelwatch exited with \(self.process.terminationStatus) at start:\n\(self.log)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("modelwatch did not report its ports:\n\(self.log)")
    }

    private func waitUntilHealthy() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard self.process.isRunning else {
                throw TestFailure("modelwatch exited with \(self.process.terminationStatus) at start:\n\(self.log)")
            }
            if let response = try? await TestClient.send(port: self.adminPort, path: "/healthz"), response.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("modelwatch did not become healthy:\n\(self.log)")
    }

    /// Waits until `/readyz` reports the expected verdict.
    /// - Parameter detail: also wait until the answer says this, for a test that checks why: a
    ///   readiness probe that times out on a loaded machine says "not ready" for another reason.
    func waitForReadiness(_ ready: Bool, saying detail: String = "", timeout: Duration = .seconds(30)) async throws -> TestResponse {
        let deadline = ContinuousClock.now + timeout
        while true {
            let response = try await TestClient.send(port: self.adminPort, path: "/readyz")
            if (response.status == 200) == ready && (detail.isEmpty || response.text.contains(detail)) || ContinuousClock.now >= deadline {
                return response
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// An ephemeral loopback port that was free a moment ago.
func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0)
        .get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
}

/// Runs `body` with a sidecar in front of `upstream` and stops it afterwards, whatever happens.
func withSidecar<Result>(
    upstream: String,
    server: [String: String] = [:],
    upstreamSettings: [String: String] = [:],
    sections: String = "",
    _ body: (ModelWatchProcess) async throws -> Result
) async throws -> Result {
    let sidecar = try await ModelWatchProcess.start(
        upstream: upstream, server: server, upstreamSettings: upstreamSettings, sections: sections)
    do {
        let result = try await body(sidecar)
        await sidecar.stop()
        return result
    } catch {
        await sidecar.stop()
        throw error
    }
}

/// Runs `body` with a fresh backend and a sidecar in front of it, and stops both afterwards.
func withSidecar<Result>(
    server: [String: String] = [:],
    upstreamSettings: [String: String] = [:],
    sections: String = "",
    _ body: (TestBackend, ModelWatchProcess) async throws -> Result
) async throws -> Result {
    let backend = try await TestBackend.start()
    let sidecar: ModelWatchProcess
    do {
        sidecar = try await ModelWatchProcess.start(
            upstream: "http://127.0.0.1:\(backend.port)",
            server: server,
            upstreamSettings: upstreamSettings,
            sections: sections
        )
    } catch {
        await backend.shutdown()
        throw error
    }
    do {
        let result = try await body(backend, sidecar)
        await sidecar.stop()
        await backend.shutdown()
        return result
    } catch {
        await sidecar.stop()
        await backend.shutdown()
        throw error
    }
}
