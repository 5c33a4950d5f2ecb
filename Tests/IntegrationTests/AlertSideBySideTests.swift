import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The same rule file in a real Prometheus 2.42 scraping the sidecar and in the sidecar itself
/// fires the same alerts: names, labels and annotations.
@Suite("Alerts side by side with Prometheus", .serialized, .timeLimit(.minutes(5)))
struct AlertSideBySideTests {
    /// Rules that aggregate away `job` and `instance`, which only Prometheus's scrape adds, as a
    /// rule file meant for both is written.
    static let rules = """
        groups:
          - name: side-by-side
            interval: 1s
            rules:
              - record: model_code:modelwatch_requests:sum
                expr: sum by (model, code) (modelwatch_requests_total)
              - alert: ModelAnswered
                expr: model_code:modelwatch_requests:sum > 0
                for: 2s
                labels:
                  severity: info
                annotations:
                  summary: "{{ $labels.model }} answered {{ $labels.code }} {{ $value }} times"
              - alert: ModelServerErrors
                expr: sum by (model) (modelwatch_requests_total{code=~"5.."}) > 0
                labels:
                  severity: warning
                annotations:
                  summary: "{{ $labels.model | toUpper }} failed"
              - alert: BackendUp
                expr: max(modelwatch_upstream_up) == 1
              - alert: NeverFires
                expr: sum(modelwatch_requests_total) < 0
        """

    /// An alert as both APIs show it, without its timings.
    struct FiringAlert: Hashable, CustomStringConvertible {
        let labels: [String: String]
        let annotations: [String: String]

        var description: String { "\(self.labels.sorted { $0.key < $1.key }) \(self.annotations)" }
    }

    /// The firing alerts of a `/api/v1/alerts` answer.
    static func firing(_ text: String) -> Set<FiringAlert> {
        guard let document = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let alerts = (document["data"] as? [String: Any])?["alerts"] as? [[String: Any]]
        else { return [] }
        return Set(
            alerts.filter { $0["state"] as? String == "firing" }.map {
                FiringAlert(labels: $0["labels"] as? [String: String] ?? [:], annotations: $0["annotations"] as? [String: String] ?? [:])
            })
    }

    @Test("Prometheus loading the same rule file fires the same alerts as the sidecar")
    func sameAlerts() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString).yaml").path
        try Self.rules.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sections = "rules:\n  files: [\(path)]\nstorage:\n  scrape_interval: 500ms\n"
        try await withSidecar(sections: sections) { _, sidecar in
            let prometheus = try await PrometheusProcess.start(scraping: sidecar.adminPort, ruleFiles: [path], evaluationInterval: "1s")
            do {
                let json: HTTPHeaders = ["content-type": "application/json"]
                for (path, body) in [
                    ("/v2/models/iris/infer", #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}"#),
                    ("/v1/models/wine:predict", #"{"instances":[[1.0,2.0]]}"#),
                    ("/v2/models/iris/infer", #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[2]}]}"#),
                ] {
                    let response = try await TestClient.send(
                        port: sidecar.dataPort, method: .POST, path: path, headers: json, body: ByteBuffer(string: body))
                    #expect(response.status == 200)
                }
                #expect(try await TestClient.send(port: sidecar.dataPort, path: "/status/503").status == 503)

                var ours: Set<FiringAlert> = []
                var theirs: Set<FiringAlert> = []
                let names = ["ModelAnswered", "ModelServerErrors", "BackendUp"]
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    ours = Self.firing(try await TestClient.send(port: sidecar.adminPort, path: "/api/v1/alerts").text)
                    theirs = Self.firing(try await TestClient.send(port: prometheus.port, path: "/api/v1/alerts").text)
                    let everyName = Set(ours.compactMap { $0.labels["alertname"] }) == Set(names)
                    let allAnswered = ours.filter { $0.labels["alertname"] == "ModelAnswered" }.count == 3
                    if everyName, allAnswered, ours == theirs { break }
                    try await Task.sleep(for: .milliseconds(250))
                }
                #expect(
                    ours == theirs,
                    "modelwatch: \(ours.sorted { $0.description < $1.description })\nprometheus: \(theirs.sorted { $0.description < $1.description })"
                )
                #expect(Set(ours.compactMap { $0.labels["alertname"] }) == Set(names))
                let answered = ours.filter { $0.labels["alertname"] == "ModelAnswered" }
                #expect(Set(answered.compactMap { $0.labels["model"] }).isSuperset(of: ["iris", "wine"]))
                #expect(answered.contains { $0.annotations["summary"] == "iris answered 200 2 times" })
                await prometheus.stop()
            } catch {
                Issue.record("prometheus log:\n\(prometheus.log)")
                await prometheus.stop()
                throw error
            }
        }
    }
}
