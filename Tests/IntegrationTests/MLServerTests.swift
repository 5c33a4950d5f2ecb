import NIOCore
import NIOHTTP1
import Testing

/// The sidecar in front of a real model server: MLServer speaking the Open Inference Protocol v2.
@Suite("MLServer behind the sidecar", .serialized, .timeLimit(.minutes(5)))
struct MLServerTests {
    /// Requests a client of MLServer sends, good and bad; `id` is fixed so answers are reproducible.
    static let exchanges: [(method: HTTPMethod, path: String, body: String?)] = [
        (.GET, "/v2/health/live", nil),
        (.GET, "/v2/models/iris", nil),
        (.GET, "/v2/models/iris/versions/v1/ready", nil),
        (
            .POST, "/v2/models/iris/infer",
            #"{"id":"one","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}"#
        ),
        (
            .POST, "/v2/models/iris/versions/v1/infer",
            #"{"id":"batch","inputs":[{"name":"input-0","shape":[3,4],"datatype":"FP64","data":[5.1,3.5,1.4,0.2,6.2,3.4,5.4,2.3,5.9,3.0,4.2,1.5]}]}"#
        ),
        (.POST, "/v2/models/iris/infer", #"{"id":"shape","inputs":[{"name":"input-0","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"#),
        (.POST, "/v2/models/iris/infer", #"{"id":"broken","inputs":[{"name":"#),
        (.POST, "/v2/models/no-such-model/infer", #"{"id":"missing","inputs":[]}"#),
    ]

    @Test("every answer through the sidecar is identical to MLServer's own, successes and errors alike")
    func identicalAnswers() async throws {
        try await withMLServer { mlserver in
            try await withSidecar(upstream: "http://127.0.0.1:\(mlserver.httpPort)") { sidecar in
                try await self.compareAnswers(mlserver: mlserver, sidecar: sidecar)
            }
        }
    }

    private func compareAnswers(mlserver: ModelServerProcess, sidecar: ModelWatchProcess) async throws {
        let readiness = try await sidecar.waitForReadiness(true)
        #expect(readiness.text.contains("GET /v2/health/ready answered 200"))

        var statuses: [Int] = []
        for exchange in Self.exchanges {
            let headers: HTTPHeaders = exchange.body == nil ? [:] : ["content-type": "application/json"]
            let body = exchange.body.map { ByteBuffer(string: $0) }
            let direct = try await TestClient.send(
                port: mlserver.httpPort, method: exchange.method, path: exchange.path, headers: headers, body: body)
            let proxied = try await TestClient.send(
                port: sidecar.dataPort, method: exchange.method, path: exchange.path, headers: headers, body: body)
            #expect(proxied.status == direct.status, "\(exchange.path)")
            #expect(proxied.body == direct.body, "\(exchange.path): \(proxied.text) vs \(direct.text)")
            #expect(proxied.head.headers["content-type"] == direct.head.headers["content-type"])
            #expect(proxied.head.headers[SidecarHeader.error].isEmpty)
            statuses.append(proxied.status)
        }
        // The corpus really exercises both paths: predictions and MLServer's own errors.
        #expect(statuses.contains(200))
        #expect(statuses.contains { $0 >= 400 })
        let prediction = try await TestClient.send(
            port: sidecar.dataPort,
            method: .POST,
            path: "/v2/models/iris/infer",
            headers: ["content-type": "application/json"],
            body: ByteBuffer(string: Self.exchanges[4].body!)
        )
        #expect(prediction.text.contains(#""data":[0,2,1]"#))
    }

    @Test("after N predictions the scraped counters equal N per model and version, rows and backend errors included")
    func countedPredictions() async throws {
        try await withMLServer { mlserver in
            try await withSidecar(upstream: "http://127.0.0.1:\(mlserver.httpPort)") { sidecar in
                try await self.countPredictions(sidecar: sidecar)
            }
        }
    }

    private func countPredictions(sidecar: ModelWatchProcess) async throws {
        func infer(_ path: String, _ body: String) async throws -> Int {
            let response = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: path, headers: ["content-type": "application/json"],
                body: ByteBuffer(string: body))
            return response.status
        }
        let one = #"{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}"#
        let three = Self.exchanges[4].body!
        let wrongShape = Self.exchanges[5].body!
        for _ in 0..<4 { #expect(try await infer("/v2/models/iris/infer", one) == 200) }
        for _ in 0..<3 { #expect(try await infer("/v2/models/iris/versions/v1/infer", three) == 200) }
        let refused = try await infer("/v2/models/iris/infer", wrongShape)
        #expect(refused >= 400)
        _ = try await infer("/v2/models/iris/infer", wrongShape)
        #expect(try await infer("/v2/models/no-such-model/infer", one) == 404)

        let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total", ["endpoint": "infer"]) >= 10 }
        // MLServer reports the version it answered with, so unversioned calls count under v1 too.
        let iris = ["model": "iris", "version": "v1", "protocol": "v2", "endpoint": "infer"]
        #expect(scrape.value("modelwatch_requests_total", iris.merging(["code": "200"]) { $1 }) == 7, "\(scrape)")
        #expect(scrape.value("modelwatch_predictions_total", ["model": "iris", "version": "v1"]) == 4 * 1 + 3 * 3)
        #expect(scrape.value("modelwatch_batch_size_count", ["model": "iris"]) == 7)
        #expect(scrape.value("modelwatch_requests_total", ["model": "iris", "code": "\(refused)"]) == 2)
        #expect(scrape.value("modelwatch_requests_total", ["model": "no-such-model", "code": "404"]) == 1)
        #expect(scrape.value("modelwatch_predictions_total", ["model": "no-such-model"]) == 0)
        #expect(scrape.value("modelwatch_upstream_duration_seconds_count", ["model": "iris"]) == 9)
        // Every body MLServer accepted or refused was well-formed Open Inference Protocol.
        #expect(scrape.value("modelwatch_payload_decode_failures_total") == 0, "\(scrape)")
    }

    @Test("MLServer killed with SIGKILL: the sidecar answers 502 and /readyz turns 503")
    func backendKilled() async throws {
        try await withMLServer { mlserver in
            try await withSidecar(upstream: "http://127.0.0.1:\(mlserver.httpPort)") { sidecar in
                try await self.killBackend(mlserver: mlserver, sidecar: sidecar)
            }
        }
    }

    private func killBackend(mlserver: ModelServerProcess, sidecar: ModelWatchProcess) async throws {
        _ = try await sidecar.waitForReadiness(true)

        await mlserver.killHard()
        let response = try await TestClient.send(
            port: sidecar.dataPort,
            method: .POST,
            path: "/v2/models/iris/infer",
            headers: ["content-type": "application/json"],
            body: ByteBuffer(string: Self.exchanges[3].body!)
        )
        #expect(response.status == 502)
        #expect(response.head.headers[SidecarHeader.error] == ["upstream-connect"])
        let readiness = try await sidecar.waitForReadiness(false)
        #expect(readiness.status == 503)
        #expect(sidecar.isRunning)
    }
}
