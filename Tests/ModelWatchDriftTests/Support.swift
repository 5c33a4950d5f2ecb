import Foundation
import ModelWatchDrift
import TestSupport

/// Seeded normal and exponential samples (SplitMix64 + Box–Muller): the same numbers every run.
struct SeededSamples {
    private var generator: SplitMix64

    init(seed: UInt64) {
        self.generator = SplitMix64(seed: seed)
    }

    mutating func uniform() -> Double {
        (Double(self.generator.next() >> 11) + 0.5) / Double(1 << 53)
    }

    mutating func normal(mean: Double = 0, std: Double = 1, count: Int) -> [Double] {
        (0..<count).map { _ in
            let radius = (-2 * log(self.uniform())).squareRoot()
            return mean + std * radius * cos(2 * Double.pi * self.uniform())
        }
    }

    mutating func exponential(scale: Double, count: Int) -> [Double] {
        (0..<count).map { _ in -scale * log(self.uniform()) }
    }

    /// Categories drawn with the given shares.
    mutating func categories(_ shares: [(String, Double)], count: Int) -> [String] {
        (0..<count).map { _ in
            var u = self.uniform()
            for (name, share) in shares {
                if u < share { return name }
                u -= share
            }
            return shares[shares.count - 1].0
        }
    }
}

/// numpy, scipy and Evidently (from PyPI, in `.venv-oracle`) computing the same statistics on
/// the same values: `Oracle/drift_oracle.py`.
enum DriftOracle {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var python: URL {
        if let configured = ProcessInfo.processInfo.environment["MODELWATCH_ORACLE_VENV"] {
            return URL(fileURLWithPath: configured).appendingPathComponent("bin/python")
        }
        return self.repositoryRoot.appendingPathComponent(".venv-oracle/bin/python")
    }

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs the oracle on one input document, on a thread of its own: the oracle's imports take seconds.
    static func run(_ input: [String: Any]) async throws -> [String: Any] {
        guard FileManager.default.isExecutableFile(atPath: self.python.path) else {
            throw Failed(description: "\(self.python.path) is missing: run `bash .ci/setup.sh` first")
        }
        let document = try JSONSerialization.data(withJSONObject: input)
        let (python, script) = (
            self.python, self.repositoryRoot.appendingPathComponent("Tests/ModelWatchDriftTests/Oracle/drift_oracle.py").path
        )
        let (status, output, errors) = try await onOwnThread {
            let process = Process()
            process.executableURL = python
            process.arguments = [script]
            let stdin = Pipe()
            let stdout = Pipe()
            let stderr = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
            stdin.fileHandleForWriting.write(document)
            try stdin.fileHandleForWriting.close()
            let output = stdout.fileHandleForReading.readDataToEndOfFile()
            let errors = stderr.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, output, errors)
        }
        guard status == 0, let answer = try JSONSerialization.jsonObject(with: output) as? [String: Any] else {
            throw Failed(description: "oracle failed (\(status)): \(String(decoding: errors, as: UTF8.self))")
        }
        return answer
    }
}

extension [String: Any] {
    func number(_ key: String) -> Double? {
        (self[key] as? NSNumber)?.doubleValue
    }

    /// `evidently.<test>.value`, from the block the oracle writes.
    func evidently(_ test: String, in block: String? = nil) -> Double? {
        var evidently = self["evidently"] as? [String: Any]
        if let block { evidently = evidently?[block] as? [String: Any] }
        return ((evidently?[test] as? [String: Any])?["value"] as? NSNumber)?.doubleValue
    }
}

/// Builds a numeric feature's window histogram from raw values, as the live path does.
func windowHistogram(_ reference: FeatureReference, _ values: [Double]) -> FeatureHistogram {
    var histogram = FeatureHistogram(binning: FeatureBinning(reference))
    for value in values { histogram.add(.number(value)) }
    return histogram
}
