import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// What `/metrics` says about traffic through the sidecar, against a backend whose answers and
/// timing the tests control.
@Suite("Traffic analysis and metrics", .serialized, .timeLimit(.minutes(5)))
struct AnalysisTests {
    static let json: HTTPHeaders = ["content-type": "application/json"]

    @Test("requests are counted per model, version, protocol, endpoint and code, with latency and sizes")
    func countsAndHistograms() async throws {
        try await withSidecar { _, sidecar in
            let body = #"{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3,4]}]}"#
            for _ in 0..<3 {
                let response = try await TestClient.send(
                    port: sidecar.dataPort, method: .POST, path: "/v2/models/iris/versions/7/infer", headers: Self.json,
                    body: ByteBuffer(string: body))
                #expect(response.status == 200)
            }
            var failing = Self.json
            failing.add(name: "x-echo-status", value: "503")
            _ = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v1/models/churn:predict", headers: failing,
                body: ByteBuffer(string: #"{"instances":[[1,2],[3,4]]}"#))
            _ = try await TestClient.send(port: sidecar.dataPort, path: "/bytes/2000")

            let labels = ["model": "iris", "version": "7", "protocol": "v2", "endpoint": "infer"]
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 5 }
            #expect(scrape.value("modelwatch_requests_total", labels.merging(["code": "200"]) { $1 }) == 3, "\(scrape)")
            #expect(
                scrape.value(
                    "modelwatch_requests_total",
                    ["model": "churn", "version": "", "protocol": "tfserving", "endpoint": "predict", "code": "503"]) == 1)
            #expect(scrape.value("modelwatch_requests_total", ["model": "unknown", "protocol": "generic", "code": "200"]) == 1)
            #expect(scrape.value("modelwatch_request_duration_seconds_count", labels) == 3)
            #expect(scrape.value("modelwatch_upstream_duration_seconds_count", labels) == 3)
            #expect(scrape.value("modelwatch_overhead_seconds_count", labels) == 3)
            #expect(
                scrape.value("modelwatch_request_duration_seconds_sum", labels)
                    >= scrape.value("modelwatch_upstream_duration_seconds_sum", labels))
            #expect(scrape.value("modelwatch_request_size_bytes_sum", labels) == Double(3 * body.utf8.count))
            #expect(scrape.value("modelwatch_response_size_bytes_sum", ["model": "unknown"]) == 2000)
            // Rows are counted only for answered predictions: the 503 adds none.
            #expect(scrape.value("modelwatch_predictions_total", ["model": "iris", "version": "7"]) == 6)
            #expect(scrape.value("modelwatch_predictions_total", ["model": "churn"]) == 0)
            #expect(scrape.value("modelwatch_batch_size_count", ["model": "iris"]) == 3)
            #expect(scrape.value("modelwatch_batch_size_sum", ["model": "iris"]) == 6)
            #expect(scrape.value("modelwatch_requests_in_flight", ["model": "iris"]) == 0)
            #expect(scrape.value("modelwatch_build_info") == 1)
            #expect(scrape.value("process_resident_memory_bytes") > 1_000_000)
            #expect(scrape.value("process_open_fds") > 0)
        }
    }

    @Test("a request waiting on the backend shows in flight, and leaves when answered")
    func inFlight() async throws {
        // The backend's /gated path names no model: the configured default stands in.
        try await withSidecar(sections: "models:\n  default: resnet\n") { backend, sidecar in
            let waiting = Task { try await TestClient.send(port: sidecar.dataPort, path: "/gated") }
            let during = try await sidecar.scrape { $0.value("modelwatch_requests_in_flight", ["model": "resnet"]) == 1 }
            #expect(during.value("modelwatch_requests_in_flight", ["model": "resnet"]) == 1)
            backend.gate.open()
            _ = try await waiting.value
            let after = try await sidecar.scrape { $0.value("modelwatch_requests_in_flight", ["model": "resnet"]) == 0 }
            #expect(after.value("modelwatch_requests_in_flight", ["model": "resnet"]) == 0)
        }
    }

    @Test("the analysis queue shows its length and held body bytes beside its configured limits")
    func analysisQueue() async throws {
        let sections = "analysis:\n  queue_capacity: 7\n  memory_limit: 1MiB\nmodels:\n  default: resnet\n"
        try await withSidecar(sections: sections) { backend, sidecar in
            let idle = try await sidecar.scrape()
            #expect(idle.value("modelwatch_analysis_queue_capacity") == 7)
            #expect(idle.value("modelwatch_analysis_memory_limit_bytes") == 1_048_576)
            #expect(idle.value("modelwatch_analysis_queue_length") == 0)
            #expect(idle.value("modelwatch_analysis_held_bytes") == 0)
            // A request body is held from capture until its exchange has been analysed.
            let waiting = Task {
                try await TestClient.send(
                    port: sidecar.dataPort, method: .POST, path: "/gated", body: ByteBuffer(repeating: 0x61, count: 1000))
            }
            let during = try await sidecar.scrape { $0.value("modelwatch_analysis_held_bytes") >= 1000 }
            #expect(during.value("modelwatch_analysis_held_bytes") >= 1000)
            backend.gate.open()
            _ = try await waiting.value
            let after = try await sidecar.scrape {
                $0.value("modelwatch_analysis_held_bytes") == 0 && $0.value("modelwatch_requests_total") == 1
            }
            #expect(after.value("modelwatch_analysis_held_bytes") == 0)
            #expect(after.value("modelwatch_analysis_queue_length") == 0)
        }
    }

    @Test("a dead backend is logged once per outage, naming route and model, and its return with the count")
    func outageLoggedOnce() async throws {
        let port = try await freePort()
        try await withSidecar(upstream: "http://127.0.0.1:\(port)") { sidecar in
            for _ in 0..<20 {
                let response = try await TestClient.send(
                    port: sidecar.dataPort, method: .POST, path: "/v2/models/iris/infer?trace=1", body: ByteBuffer(string: "{}"))
                #expect(response.status == 502)
            }
            _ = try await sidecar.scrape { $0.value("modelwatch_upstream_errors_total") >= 20 }
            let backend = try await TestBackend.start(port: port)
            defer { Task { await backend.shutdown() } }
            #expect(try await TestClient.send(port: sidecar.dataPort, path: "/bytes/3").status == 200)
            _ = try await sidecar.scrape { $0.value("modelwatch_requests_total", ["code": "200"]) >= 1 }
            let lines = sidecar.log.split(separator: "\n")
            let failing = lines.filter { $0.contains("backend failing") }
            #expect(failing.count == 1, "one line for the outage: \(failing)")
            #expect(failing.first?.contains("route=POST /v2/models/iris/infer") == true, "\(failing)")
            #expect(failing.first?.contains("model=iris") == true, "\(failing)")
            #expect(failing.first?.contains("upstream.error.kind=connect") == true, "\(failing)")
            let back = lines.filter { $0.contains("backend answering again") }
            #expect(back.count == 1 && back.first?.contains("upstream.failures=20") == true, "\(back)")
            let warnings = lines.filter { $0.contains(" warning ") }
            #expect(warnings.count == 1, "no warning per failed request: \(warnings)")
        }
    }

    @Test("a client that leaves during a 200 is counted, but the body it left unread is no decode failure and no prediction")
    func clientLeavesMidResponse() async throws {
        try await withSidecar { backend, sidecar in
            let body = #"{"inputs":[{"name":"x","shape":[2,1],"datatype":"FP32","data":[1,2]}]}"#
            let request =
                "POST /v2/models/iris/infer HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nx-echo-stall-after: 10\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let socket = try #require(RawSocket.open(port: sidecar.dataPort, count: 1).first)
            #expect(write(socket, request, request.utf8.count) == request.utf8.count)
            // The head and the first ten bytes of the answer, then the client hangs up.
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !String(decoding: received, as: UTF8.self).contains("\r\n\r\n{\"inputs\"") {
                let count = read(socket, &buffer, buffer.count)
                try #require(count > 0)
                received += buffer[0..<count]
            }
            close(socket)
            // The exchange ends when the sidecar sees the client go; only then may the backend
            // finish (before, the sidecar could write the rest into the closing socket in time).
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 1 }
            backend.gate.open()
            #expect(scrape.value("modelwatch_requests_total", ["model": "iris", "code": "200"]) == 1, "\(scrape)")
            #expect(scrape.value("modelwatch_payload_decode_failures_total") == 0, "\(scrape)")
            #expect(scrape.value("modelwatch_predictions_total") == 0)
        }
    }

    @Test("backend failures are counted by kind and by the code the client got")
    func upstreamErrors() async throws {
        try await withSidecar(upstreamSettings: ["timeout": "300ms"], sections: "models:\n  default: slowpoke\n") { _, sidecar in
            let hung = try await TestClient.send(port: sidecar.dataPort, path: "/hang")
            #expect(hung.status == 504)
            await #expect(throws: (any Error).self) { try await TestClient.send(port: sidecar.dataPort, path: "/truncate") }
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 2 }
            #expect(scrape.value("modelwatch_upstream_errors_total", ["model": "slowpoke", "kind": "timeout"]) == 1, "\(scrape)")
            #expect(scrape.value("modelwatch_requests_total", ["model": "slowpoke", "code": "504"]) == 1)
            // The truncated answer's 200 was already on the wire: counted as such, and as an error.
            #expect(scrape.value("modelwatch_upstream_errors_total", ["model": "slowpoke"]) == 2)
            #expect(scrape.value("modelwatch_requests_total", ["model": "slowpoke", "code": "200"]) == 1)
        }
    }

    @Test("model names beyond the configured limit become `other`; configured names never do")
    func boundedModels() async throws {
        let sections = "models:\n  names: [pinned]\n  max_models: 2\n"
        try await withSidecar(sections: sections) { _, sidecar in
            for model in ["a", "b", "c", "d", "pinned"] {
                _ = try await TestClient.send(port: sidecar.dataPort, method: .POST, path: "/predictions/\(model)")
            }
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 5 }
            #expect(scrape.value("modelwatch_requests_total", ["model": "a"]) == 1)
            #expect(scrape.value("modelwatch_requests_total", ["model": "b"]) == 1)
            #expect(scrape.value("modelwatch_requests_total", ["model": "other"]) == 2)
            #expect(scrape.value("modelwatch_requests_total", ["model": "pinned"]) == 1)
        }
    }
}
