import Foundation
import NIOHTTP1
import TestSupport

/// A real Python model server from PyPI, on loopback, serving a scikit-learn iris classifier:
/// MLServer (Open Inference Protocol v2, model `iris` version `v1`, from `.venv`) or the KServe
/// Python server (V1 `:predict`, model `iris`, from `.venv-kserve`: its pins clash with MLServer's).
/// `.ci/setup.sh` installs both.
final class ModelServerProcess: @unchecked Sendable {
    // @unchecked Sendable: the `Process` is driven by one test at a time.

    let httpPort: Int
    private let process: Process
    private let logPath: String

    /// The virtual environment holding MLServer: `MODELWATCH_TEST_VENV`, or `.venv` at the repository root.
    static var environment: URL {
        if let configured = ProcessInfo.processInfo.environment["MODELWATCH_TEST_VENV"] {
            return URL(fileURLWithPath: configured)
        }
        return repositoryRoot.appendingPathComponent(".venv")
    }

    /// The virtual environment holding KServe: `MODELWATCH_KSERVE_VENV`, or `.venv-kserve`.
    static var kserveEnvironment: URL {
        if let configured = ProcessInfo.processInfo.environment["MODELWATCH_KSERVE_VENV"] {
            return URL(fileURLWithPath: configured)
        }
        return repositoryRoot.appendingPathComponent(".venv-kserve")
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    private init(process: Process, httpPort: Int, logPath: String) {
        self.process = process
        self.httpPort = httpPort
        self.logPath = logPath
    }

    deinit {
        self.signalTree(SIGKILL)
    }

    /// Signals MLServer and every process it started. MLServer forks helpers that outlive it
    /// when only the parent is signalled, so the tree is collected first, from `/proc`.
    ///
    /// Only while the server runs: once it has exited and been reaped, its number is free, and
    /// with pid_max at 32768 and a CI run starting thousands of processes, the kernel hands it to
    /// someone else within minutes. Signalling it then killed whatever had it and that process's
    /// children (another test's server, or, suspected once, a soak's backend beside a CI run).
    private func signalTree(_ signal: Int32) {
        guard self.process.isRunning else { return }
        var tree = [self.process.processIdentifier]
        var index = 0
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        let parents: [Int32: Int32] = Dictionary(
            uniqueKeysWithValues: processes.compactMap { pid -> (Int32, Int32)? in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                    let close = stat.lastIndex(of: ")")
                else { return nil }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                guard fields.count > 1, let parent = Int32(fields[1]) else { return nil }
                return (pid, parent)
            }
        )
        while index < tree.count {
            let parent = tree[index]
            tree += parents.filter { $0.value == parent }.map(\.key)
            index += 1
        }
        for pid in tree.reversed() {
            kill(pid, signal)
        }
    }

    /// Trains the model, writes the model repository, starts MLServer and waits until it is ready.
    static func start() async throws -> ModelServerProcess {
        try await self.retryingTakenPorts { try await self.startOnce() }
    }

    /// Starts the KServe Python server with the iris model and waits until the model is ready.
    static func startKServe() async throws -> ModelServerProcess {
        try await self.retryingTakenPorts { try await self.startKServeOnce() }
    }

    /// A port found free can be taken by another test before the server binds it: the server then
    /// exits at start, and a fresh set of ports is tried.
    private static func retryingTakenPorts(_ start: () async throws -> ModelServerProcess) async throws -> ModelServerProcess {
        for _ in 1..<3 {
            do {
                return try await start()
            } catch let failure as TestFailure where failure.description.contains("already in use") {
                continue
            }
        }
        return try await start()
    }

    private static func startOnce() async throws -> ModelServerProcess {
        let bin = self.environment.appendingPathComponent("bin")
        guard FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("mlserver").path) else {
            throw TestFailure("MLServer is not installed in \(self.environment.path): run `bash .ci/setup.sh` first")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlserver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (httpPort, grpcPort, metricsPort) = (try await freePort(), try await freePort(), try await freePort())
        let fixture = self.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/mlserver_iris.py").path
        // Training the model takes seconds: on a thread of its own, not one of Swift concurrency's.
        let status = try await onOwnThread {
            let prepare = Process()
            prepare.executableURL = bin.appendingPathComponent("python")
            prepare.arguments = [fixture, directory.path, "\(httpPort)", "\(grpcPort)", "\(metricsPort)"]
            try prepare.run()
            prepare.waitUntilExit()
            return prepare.terminationStatus
        }
        guard status == 0 else { throw TestFailure("could not prepare the MLServer model repository") }

        return try await Self.launch(
            bin.appendingPathComponent("mlserver"), ["start", directory.path], in: directory, port: httpPort, readyPath: "/v2/health/ready")
    }

    private static func startKServeOnce() async throws -> ModelServerProcess {
        let bin = self.kserveEnvironment.appendingPathComponent("bin")
        guard FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("python").path) else {
            throw TestFailure("KServe is not installed in \(self.kserveEnvironment.path): run `bash .ci/setup.sh` first")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kserve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = try await freePort()
        let fixture = self.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/kserve_iris.py").path
        return try await Self.launch(
            bin.appendingPathComponent("python"), [fixture, "--http_port", "\(port)"], in: directory, port: port,
            readyPath: "/v1/models/iris")
    }

    static func launch(_ executable: URL, _ arguments: [String], in directory: URL, port: Int, readyPath: String) async throws
        -> ModelServerProcess
    {
        let logPath = directory.appendingPathComponent("server.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = executable.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let server = ModelServerProcess(process: process, httpPort: port, logPath: logPath)
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw TestFailure("\(executable.lastPathComponent) exited at start:\n\(server.log)") }
            // Only uvicorn's answer counts: another test's server that took the port first answers
            // 200 to anything, and the model server would then exit, unable to bind.
            if let response = try? await TestClient.send(port: port, path: readyPath), response.status == 200,
                response.head.headers["server"].contains(where: { $0.contains("uvicorn") })
            {
                return server
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestFailure("\(executable.lastPathComponent) did not become ready:\n\(server.log)")
    }

    var log: String {
        (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? ""
    }

    /// Kills MLServer outright, as an OOM kill or a crashed node would.
    func killHard() async {
        self.signalTree(SIGKILL)
        while self.process.isRunning {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    func stop() async {
        self.signalTree(SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        while self.process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        await self.killHard()
    }
}

/// Runs `body` with a fresh KServe server and stops it afterwards, whatever happens.
func withKServe<Result>(_ body: (ModelServerProcess) async throws -> Result) async throws -> Result {
    try await withModelServer(try await ModelServerProcess.startKServe(), body)
}

/// Runs `body` with a fresh MLServer and stops it afterwards, whatever happens.
func withMLServer<Result>(_ body: (ModelServerProcess) async throws -> Result) async throws -> Result {
    try await withModelServer(try await ModelServerProcess.start(), body)
}

func withModelServer<Result>(
    _ mlserver: ModelServerProcess, _ body: (ModelServerProcess) async throws -> Result
) async throws -> Result {
    do {
        let result = try await body(mlserver)
        await mlserver.stop()
        return result
    } catch {
        await mlserver.stop()
        throw error
    }
}
