import Foundation
import TestSupport

/// The oracle's cases: `Oracle/make_cases.py`, run with `.venv-onnx`'s Python (onnx, onnxruntime,
/// scikit-learn, skl2onnx from PyPI), writes ONNX's node tests and scikit-learn models with
/// onnxruntime's outputs into `.peers/onnx`. It runs once per test process, on a thread of its own.
enum ReferenceOracle {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var casesRoot: URL { self.repositoryRoot.appendingPathComponent(".peers/onnx") }

    static var python: URL {
        if let configured = ProcessInfo.processInfo.environment["MODELWATCH_ONNX_VENV"] {
            return URL(fileURLWithPath: configured).appendingPathComponent("bin/python")
        }
        return self.repositoryRoot.appendingPathComponent(".venv-onnx/bin/python")
    }

    /// Whether CI requires the oracle (then a missing venv fails instead of skipping).
    static var required: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    /// Why the oracle cannot run here, or nil when it can.
    static var unavailableReason: String? {
        FileManager.default.isExecutableFile(atPath: self.python.path)
            ? nil : "\(self.python.path) is missing: run `bash .ci/setup-onnx.sh` (or `bash .ci/setup.sh`) first"
    }

    private static let generation = Task<Void, any Error> {
        let (python, script, output) = (
            Self.python.path, Self.repositoryRoot.appendingPathComponent("Tests/ModelWatchReferenceTests/Oracle/make_cases.py").path,
            Self.casesRoot.path
        )
        let (status, errors) = try await onOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script, output]
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let errors = stderr.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, errors)
        }
        guard status == 0 else {
            throw Failed(description: "make_cases.py failed (\(status)): \(String(decoding: errors.suffix(4000), as: UTF8.self))")
        }
    }

    /// Generates the cases (once per process) and returns their root folder.
    static func cases() async throws -> URL {
        try await self.generation.value
        return self.casesRoot
    }

    /// The manifest lines of a case folder.
    static func manifest(_ folder: URL) throws -> [[String: Any]] {
        let text = try String(contentsOf: folder.appendingPathComponent("manifest.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw Failed(description: "manifest line is not an object")
            }
            return object
        }
    }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
}
