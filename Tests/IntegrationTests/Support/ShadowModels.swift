import Foundation
import TestSupport

/// The shadow tests' models, made at test time by `Fixtures/shadow_models.py`: a scikit-learn
/// logistic regression with its skl2onnx conversion and test rows (`.venv-onnx`), MLServer
/// repositories of it and of a variant that disagrees on a known share of rows (`.venv`), and an
/// MLP as FP32 and int8 ONNX with onnxruntime's answers for both (`.venv-onnx`).
enum ShadowModels {
    static var onnxEnvironment: URL {
        if let configured = ProcessInfo.processInfo.environment["MODELWATCH_ONNX_VENV"] { return URL(fileURLWithPath: configured) }
        return ModelServerProcess.repositoryRoot.appendingPathComponent(".venv-onnx")
    }

    static var script: String {
        ModelServerProcess.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/shadow_models.py").path
    }

    /// A fresh folder holding `iris.onnx`, `params.json` and `rows.json` (1,000 rows of 4 features).
    static func sklearn() async throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-shadow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try await Self.python(self.onnxEnvironment, ["sklearn", folder.path])
        return folder
    }

    /// `mlp.onnx`, `mlp-int8.onnx`, `mlp-rows.json` and `mlp-offline.json` in a fresh folder.
    static func quantized() async throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-quantized-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try await Self.python(self.onnxEnvironment, ["quantized", folder.path])
        return folder
    }

    /// Starts MLServer serving model `iris` as `variant` (`v1`, or `v2`, which also writes
    /// `expected-v2.json`: the rows where the two disagree).
    static func startMLServer(_ folder: URL, variant: String) async throws -> ModelServerProcess {
        let bin = ModelServerProcess.environment.appendingPathComponent("bin")
        let (http, grpc, metrics) = (try await freePort(), try await freePort(), try await freePort())
        try await Self.python(
            ModelServerProcess.environment, ["mlserver", folder.path, "mlserver-\(variant)", variant, "\(http)", "\(grpc)", "\(metrics)"])
        let repository = folder.appendingPathComponent("mlserver-\(variant)")
        return try await ModelServerProcess.launch(
            bin.appendingPathComponent("mlserver"), ["start", repository.path], in: repository, port: http, readyPath: "/v2/health/ready")
    }

    /// Starts the KServe Python server running `model` with onnxruntime as model `name`.
    static func startKServe(_ model: URL, name: String) async throws -> ModelServerProcess {
        let python = ModelServerProcess.kserveEnvironment.appendingPathComponent("bin/python")
        let fixture = ModelServerProcess.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/kserve_onnx.py").path
        let port = try await freePort()
        return try await ModelServerProcess.launch(
            python, [fixture, model.path, name, "--http_port", "\(port)"], in: model.deletingLastPathComponent(), port: port,
            readyPath: "/v1/models/\(name)")
    }

    static func json(_ folder: URL, _ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(name)))
    }

    private static func python(_ environment: URL, _ arguments: [String]) async throws {
        let python = environment.appendingPathComponent("bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw TestFailure("no Python in \(environment.path): run `bash .ci/setup.sh` first")
        }
        let script = self.script
        let status = try await onOwnThread {
            let process = Process()
            process.executableURL = python
            process.arguments = [script] + arguments
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        guard status == 0 else { throw TestFailure("shadow_models.py \(arguments.joined(separator: " ")) failed (\(status))") }
    }
}
