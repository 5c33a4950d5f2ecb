import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Drift end to end: a baseline built by `modelwatch baseline build`, a real MLServer behind the
/// sidecar, traffic whose distribution shifts halfway, and both the `/metrics` gauges and
/// `modelwatch drift` on the store file showing the shift on the shifted features only.
@Suite("Drift against a real MLServer", .serialized, .timeLimit(.minutes(5)))
struct DriftTests {
    static let features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    static let means = [5.8, 3.0, 3.8, 1.2]
    static let stds = [0.8, 0.4, 1.7, 0.7]
    /// Rows per phase: one request of 20 rows at a time.
    static let rows = 1000

    /// Seeded iris-like rows; `shift` adds that many standard deviations per feature.
    static func rows(count: Int, seed: UInt64, shift: [Double] = [0, 0, 0, 0]) -> [[Double]] {
        var state = seed
        func uniform() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return (Double((z ^ (z >> 31)) >> 11) + 0.5) / Double(1 << 53)
        }
        return (0..<count).map { _ in
            (0..<4).map { column in
                let normal = (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
                return ((Self.means[column] + (normal + shift[column]) * Self.stds[column]) * 100).rounded() / 100
            }
        }
    }

    @Test("a shift halfway shows on the shifted features only, on /metrics and in modelwatch drift")
    func shiftHalfway() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-drift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = directory.appendingPathComponent("reference.csv").path
        let csv =
            ([Self.features.joined(separator: ",")] + Self.rows(count: 20_000, seed: 1).map { $0.map { "\($0)" }.joined(separator: ",") })
        try csv.joined(separator: "\n").write(toFile: reference, atomically: true, encoding: .utf8)
        let baseline = directory.appendingPathComponent("iris-baseline.json").path
        let built = try await ModelWatchProcess.run(["baseline", "build", "--model", "iris", "--input", reference, "--out", baseline])
        #expect(built.status == 0, "\(built.output)")
        #expect(built.output.contains("4 features"))

        let mapping = Self.features.enumerated().map { "        \($1): input-0[\($0)]\n" }.joined()
        let sections =
            "drift:\n  window: 1m\n  min_samples: 500\n  models:\n    iris:\n      baseline: \(baseline)\n      features:\n\(mapping)"
        try await withMLServer { mlserver in
            try await withSidecar(upstream: "http://127.0.0.1:\(mlserver.httpPort)", sections: sections) { sidecar in
                try await self.run(sidecar: sidecar)
            }
        }
    }

    private func run(sidecar: ModelWatchProcess) async throws {
        _ = try await sidecar.waitForReadiness(true, timeout: .seconds(30))
        // Both phases must each fill one whole minute: start early in a minute.
        if Self.secondsIntoMinute() > 35 { try await Self.sleepUntilNextMinute(plus: 1) }
        let firstMinute = Self.currentMinute()
        try await self.send(Self.rows(count: Self.rows, seed: 2), to: sidecar)
        #expect(Self.currentMinute() == firstMinute, "the first phase spilled into the next minute")

        try await Self.sleepUntilNextMinute(plus: 1)
        let calm = try await sidecar.scrape(until: { $0.value("modelwatch_feature_window_samples", ["feature": "sepal_length"]) > 0 })
        for feature in Self.features {
            #expect(calm.value("modelwatch_feature_window_samples", ["model": "iris", "feature": feature]) == Double(Self.rows))
            #expect(calm.value("modelwatch_feature_drift", ["feature": feature, "statistic": "wasserstein_norm"]) < 0.1, "\(feature)")
            #expect(calm.value("modelwatch_feature_drift", ["feature": feature, "statistic": "psi"]) < 0.1, "\(feature)")
        }
        #expect(calm.value("modelwatch_dataset_drift_share", ["model": "iris"]) == 0)

        // Second phase: sepal length and petal length move by one standard deviation.
        let secondMinute = Self.currentMinute()
        try await self.send(Self.rows(count: Self.rows, seed: 3, shift: [1, 0, 1, 0]), to: sidecar)
        #expect(Self.currentMinute() == secondMinute, "the second phase spilled into the next minute")
        try await Self.sleepUntilNextMinute(plus: 1)
        let shifted = try await sidecar.scrape(
            until: {
                $0.value("modelwatch_dataset_drift_share", ["model": "iris"]) > 0
            }, timeout: .seconds(20))
        for (index, feature) in Self.features.enumerated() {
            let wasserstein = shifted.value("modelwatch_feature_drift", ["feature": feature, "statistic": "wasserstein_norm"])
            if index == 0 || index == 2 {
                #expect(wasserstein > 0.5, "\(feature) did not show its shift: \(wasserstein)")
                #expect(shifted.value("modelwatch_feature_drift", ["feature": feature, "statistic": "psi"]) > 0.25)
            } else {
                #expect(wasserstein < 0.1, "\(feature) drifted without a shift: \(wasserstein)")
            }
        }
        #expect(shifted.value("modelwatch_dataset_drift_share", ["model": "iris"]) == 0.5)

        // The same judgement from the store file, for the window that held each phase.
        let shiftedTable = try await Self.driftTable(sidecar.storagePath, at: secondMinute + 60, expecting: "sepal_length")
        #expect(Self.verdict(of: "sepal_length", in: shiftedTable) == "drift", "\(shiftedTable)")
        #expect(Self.verdict(of: "petal_length", in: shiftedTable) == "drift", "\(shiftedTable)")
        #expect(Self.verdict(of: "sepal_width", in: shiftedTable) == "ok", "\(shiftedTable)")
        #expect(Self.verdict(of: "petal_width", in: shiftedTable) == "ok", "\(shiftedTable)")
        #expect(shiftedTable.contains("dataset drift share: 0.5000"))
        // Judged with the sidecar's own settings (min_samples 500), which it keeps in the file.
        #expect(shiftedTable.contains("settings as the sidecar judged"), "\(shiftedTable)")
        await sidecar.stop()
        // After the sidecar is gone, the file alone still answers for the first window.
        let calmTable = try await Self.driftTable(sidecar.storagePath, at: firstMinute + 60, expecting: "sepal_length")
        for feature in Self.features { #expect(Self.verdict(of: feature, in: calmTable) == "ok", "\(calmTable)") }
    }

    private func send(_ rows: [[Double]], to sidecar: ModelWatchProcess) async throws {
        for start in stride(from: 0, to: rows.count, by: 20) {
            let batch = rows[start..<min(start + 20, rows.count)]
            let data = batch.flatMap { $0 }.map { "\($0)" }.joined(separator: ",")
            let body = #"{"inputs":[{"name":"input-0","shape":[\#(batch.count),4],"datatype":"FP64","data":[\#(data)]}]}"#
            let response = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v2/models/iris/infer", headers: ["content-type": "application/json"],
                body: ByteBuffer(string: body))
            #expect(response.status == 200, "\(response.text)")
        }
    }

    /// `modelwatch drift` for the one-minute window ending at `at` (Unix seconds), retried until
    /// the tick that writes the minute has committed it.
    static func driftTable(_ database: String, at: Int, expecting name: String) async throws -> String {
        var output = ""
        for _ in 0..<20 {
            let result = try await ModelWatchProcess.run(["drift", "--db", database, "--model", "iris", "--window", "1m", "--at", "\(at)"])
            output = result.output
            if result.status == 0, Self.verdict(of: name, in: output) != "insufficient_data" { return output }
            try await Task.sleep(for: .milliseconds(500))
        }
        return output
    }

    /// The verdict column of a feature's `verdict` row (or of its insufficient-data row).
    static func verdict(of feature: String, in table: String) -> String? {
        for line in table.split(separator: "\n") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard columns.first == feature else { continue }
            if columns.count >= 5, columns[3] == "verdict" { return columns.last }
            if columns.last == "insufficient_data" { return "insufficient_data" }
        }
        return nil
    }

    static func secondsIntoMinute() -> Int { Int(Date().timeIntervalSince1970) % 60 }

    /// The current minute's start, Unix seconds.
    static func currentMinute() -> Int { Int(Date().timeIntervalSince1970) / 60 * 60 }

    static func sleepUntilNextMinute(plus seconds: Double) async throws {
        let now = Date().timeIntervalSince1970
        let next = (now / 60).rounded(.down) * 60 + 60
        try await Task.sleep(for: .seconds(next - now + seconds))
    }
}
