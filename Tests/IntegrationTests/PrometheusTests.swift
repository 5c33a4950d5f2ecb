import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The exposition as real Prometheus tooling sees it: `promtool check metrics` lints it, and a
/// real Prometheus scrapes the sidecar under load and answers the PromQL users write.
@Suite("Prometheus", .serialized, .timeLimit(.minutes(5)))
struct PrometheusTests {
    @Test("promtool check metrics finds nothing to complain about, after traffic of every kind")
    func promtoolLint() async throws {
        let promtool = try #require(Tool.find("promtool"), "promtool is not installed: run `bash .ci/setup.sh` first")
        // /hang waits for the timeout; the other requests must never meet it, even on a loaded machine.
        try await withSidecar(upstreamSettings: ["timeout": "5s"]) { _, sidecar in
            let json: HTTPHeaders = ["content-type": "application/json"]
            _ = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v2/models/a/infer", headers: json,
                body: ByteBuffer(string: #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}"#))
            _ = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v1/chat/completions", headers: json,
                body: ByteBuffer(string: #"{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#))
            _ = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v2/models/b/infer", headers: json, body: ByteBuffer(string: "{"))
            _ = try await TestClient.send(port: sidecar.dataPort, path: "/hang")
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 4 }
            let (status, output) = try await Tool.run(promtool, ["check", "metrics"], input: scrape.text)
            #expect(status == 0, "\(output)")
            #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(output)")
            // The lint ran over every family the traffic touched.
            for family in [
                "modelwatch_llm_tokens_total", "modelwatch_llm_time_to_first_token_seconds", "modelwatch_payload_decode_failures_total",
                "modelwatch_upstream_errors_total", "modelwatch_predictions_total", "process_cpu_seconds_total",
            ] {
                #expect(scrape.text.contains("# TYPE \(family) "), "\(family)")
            }
        }
    }

    @Test("a real Prometheus scraping under load answers rate and histogram_quantile per model")
    func promQL() async throws {
        try await withSidecar { _, sidecar in
            let prometheus = try await PrometheusProcess.start(scraping: sidecar.adminPort)
            do {
                try await self.load(sidecar: sidecar, prometheus: prometheus)
                await prometheus.stop()
            } catch {
                await prometheus.stop()
                throw error
            }
        }
    }

    private func load(sidecar: ModelWatchProcess, prometheus: PrometheusProcess) async throws {
        func predict(_ model: String, delay: Int) async throws {
            let response = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/predictions/\(model)",
                headers: ["content-type": "application/json", "x-echo-delay-ms": "\(delay)"], body: ByteBuffer(string: "[[1,2]]"))
            #expect(response.status == 200)
        }
        // One request each creates the series; Prometheus then sees them from their first value on.
        try await predict("fast", delay: 0)
        try await predict("slow", delay: 120)
        _ = try await prometheus.query("count_over_time(modelwatch_requests_total[1m])") { result in
            result.count == 2 && result.allSatisfy { $0.value >= 2 }
        }
        // Load: three fast requests for every slow one, four clients at once.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<5 {
                        try await predict("slow", delay: 120)
                        for _ in 0..<3 { try await predict("fast", delay: 0) }
                    }
                }
            }
            try await group.waitForAll()
        }

        // Exact totals once Prometheus has scraped the end of the load.
        let totals = try await prometheus.query("sum(modelwatch_requests_total) by (model)") { result in
            result.first { $0.labels["model"] == "fast" }?.value == 61 && result.first { $0.labels["model"] == "slow" }?.value == 21
        }
        #expect(totals.first { $0.labels["model"] == "fast" }?.value == 61, "\(totals)")
        #expect(totals.first { $0.labels["model"] == "slow" }?.value == 21, "\(totals)")

        let rates = try await prometheus.query("sum(rate(modelwatch_requests_total[1m])) by (model)")
        let fastRate = try #require(rates.first { $0.labels["model"] == "fast" }?.value)
        let slowRate = try #require(rates.first { $0.labels["model"] == "slow" }?.value)
        #expect(fastRate > 0 && slowRate > 0)
        // 60 against 20 in the same scrapes; rate's extrapolation at the window's edge blurs it a little.
        #expect(fastRate / slowRate > 2.4 && fastRate / slowRate < 3.6, "fast \(fastRate), slow \(slowRate)")

        let quantiles = try await prometheus.query(
            "histogram_quantile(0.99, sum(rate(modelwatch_request_duration_seconds_bucket[1m])) by (le, model))")
        let slowP99 = try #require(quantiles.first { $0.labels["model"] == "slow" }?.value)
        let fastP99 = try #require(quantiles.first { $0.labels["model"] == "fast" }?.value)
        // Every slow request took ≥ 120 ms, so p99 is above it (in the 100–250 ms bucket, or a later
        // one on a machine busy with other suites: no upper bound holds under load). Nothing is
        // assumed of the fast model's latency: a busy machine may slow it past the slow one's.
        #expect(slowP99 > 0.12, "slow p99 \(slowP99)")
        #expect(fastP99 > 0 && fastP99.isFinite, "fast p99 \(fastP99)")
        // Over the whole count, Prometheus's quantile is the one the sidecar's own buckets give.
        let scrape = try await sidecar.scrape()
        let whole = try await prometheus.query(
            "histogram_quantile(0.99, sum(modelwatch_request_duration_seconds_bucket) by (le, model))")
        for model in ["fast", "slow"] {
            let buckets = scrape.samples.filter { $0.name == "modelwatch_request_duration_seconds_bucket" && $0.labels["model"] == model }
                .map { (upper: Double($0.labels["le"] ?? "") ?? .infinity, count: $0.value) }
            let expected = Self.quantile(0.99, buckets)
            let answered = try #require(whole.first { $0.labels["model"] == model }?.value)
            #expect(abs(answered - expected) <= 1e-9 * max(1, expected), "\(model): Prometheus \(answered), from the buckets \(expected)")
        }

        let predictions = try await prometheus.query("sum(modelwatch_predictions_total) by (model)")
        #expect(predictions.first { $0.labels["model"] == "slow" }?.value == 21, "\(predictions)")
        let up = try await prometheus.query("up{job=\"modelwatch\"}")
        #expect(up.first?.value == 1)
    }

    /// Prometheus's `histogram_quantile` over cumulative bucket counts: linear interpolation inside
    /// the bucket that holds the rank, the lower bound of the first bucket being 0, and the highest
    /// finite bound when the rank falls in `+Inf`.
    static func quantile(_ q: Double, _ buckets: [(upper: Double, count: Double)]) -> Double {
        let sorted = buckets.sorted { $0.upper < $1.upper }
        guard let total = sorted.last?.count, total > 0 else { return .nan }
        let rank = q * total
        var (lower, below) = (0.0, 0.0)
        for (index, bucket) in sorted.enumerated() {
            if bucket.count >= rank {
                if bucket.upper == .infinity { return index > 0 ? sorted[index - 1].upper : .nan }
                return lower + (bucket.upper - lower) * (rank - below) / (bucket.count - below)
            }
            (lower, below) = (bucket.upper, bucket.count)
        }
        return .nan
    }
}
