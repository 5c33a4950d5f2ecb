import NIOCore
import NIOHTTP1
import Testing

/// The sidecar in front of the real KServe Python model server, speaking KServe's V1 protocol
/// (TF Serving style `:predict` with `instances`).
@Suite("KServe behind the sidecar", .serialized, .timeLimit(.minutes(5)))
struct KServeTests {
    static let json: HTTPHeaders = ["content-type": "application/json"]

    @Test("answers pass through unchanged and are counted per model, with rows and backend errors")
    func countedPredictions() async throws {
        try await withKServe { kserve in
            try await withSidecar(upstream: "http://127.0.0.1:\(kserve.httpPort)", upstreamSettings: ["readiness_path": "/v1/models/iris"])
            {
                sidecar in
                try await self.exercise(kserve: kserve, sidecar: sidecar)
            }
        }
    }

    private func exercise(kserve: ModelServerProcess, sidecar: ModelWatchProcess) async throws {
        let two = ByteBuffer(string: #"{"instances":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]]}"#)
        let direct = try await TestClient.send(
            port: kserve.httpPort, method: .POST, path: "/v1/models/iris:predict", headers: Self.json, body: two)
        #expect(direct.status == 200)
        #expect(direct.text == #"{"predictions":[0,2]}"#)
        for _ in 0..<5 {
            let proxied = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v1/models/iris:predict", headers: Self.json, body: two)
            #expect(proxied.status == 200)
            #expect(proxied.body == direct.body)
        }
        let missing = try await TestClient.send(
            port: sidecar.dataPort, method: .POST, path: "/v1/models/no-such-model:predict", headers: Self.json, body: two)
        #expect(missing.status == 404)
        let wrongShape = try await TestClient.send(
            port: sidecar.dataPort, method: .POST, path: "/v1/models/iris:predict", headers: Self.json,
            body: ByteBuffer(string: #"{"instances":[[1.0,2.0]]}"#))
        #expect(wrongShape.status >= 400)

        let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total", ["protocol": "tfserving"]) >= 7 }
        let iris = ["model": "iris", "version": "", "protocol": "tfserving", "endpoint": "predict"]
        #expect(scrape.value("modelwatch_requests_total", iris.merging(["code": "200"]) { $1 }) == 5, "\(scrape)")
        #expect(scrape.value("modelwatch_predictions_total", ["model": "iris"]) == 10)
        #expect(scrape.value("modelwatch_batch_size_sum", ["model": "iris"]) == 10)
        #expect(scrape.value("modelwatch_requests_total", ["model": "no-such-model", "code": "404"]) == 1)
        #expect(scrape.value("modelwatch_requests_total", iris.merging(["code": "\(wrongShape.status)"]) { $1 }) == 1)
        #expect(scrape.value("modelwatch_payload_decode_failures_total") == 0, "\(scrape)")
        #expect(scrape.value("modelwatch_upstream_up") == 1)
    }
}
