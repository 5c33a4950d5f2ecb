import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Prometheus's HTTP query API on a live sidecar's admin port, over the history it records.
/// (`PromQLSideBySideTests` compares the answers with a real Prometheus; this checks the API's
/// surface: methods, parameters, errors, limits, and that queries leave the proxy alone.)
@Suite("Query API on the admin port")
struct QueryAPITests {
    // `storage` last: the helper appends the test's own store path to it.
    static let sections = "query:\n  max_samples: 200000\nstorage:\n  scrape_interval: 100ms\n"

    /// The parsed JSON body of an answer.
    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any]) ?? [:]
    }

    static func get(_ sidecar: ModelWatchProcess, _ path: String, _ parameters: [String: String] = [:]) async throws -> TestResponse {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = parameters.sorted { $0.key < $1.key }.map {
            "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.value)"
        }
        .joined(separator: "&")
        return try await TestClient.send(port: sidecar.adminPort, path: query.isEmpty ? path : path + "?" + query)
    }

    /// Sends `count` proxied requests and waits until the store has recorded all of them.
    static func traffic(_ sidecar: ModelWatchProcess, count: Int) async throws {
        for index in 0..<count {
            let response = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/echo", body: ByteBuffer(string: "\(index)"))
            #expect(response.status == 200)
        }
        for _ in 0..<200 {
            let answer = try await Self.get(sidecar, "/api/v1/query", ["query": "sum(modelwatch_requests_total)"])
            if let value = Self.firstValue(answer), value >= Double(count) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the store never recorded \(count) requests")
    }

    static func firstValue(_ response: TestResponse) -> Double? {
        let data = Self.json(response)["data"] as? [String: Any]
        let result = data?["result"] as? [[String: Any]]
        return (result?.first?["value"] as? [Any])?.last.flatMap { ($0 as? String).flatMap(Double.init) }
    }

    @Test("instant and range queries, GET and form POST, series, labels, values, metadata and build info")
    func answers() async throws {
        try await withSidecar(sections: Self.sections) { _, sidecar in
            try await Self.traffic(sidecar, count: 5)

            let instant = try await Self.get(sidecar, "/api/v1/query", ["query": "sum by (code) (modelwatch_requests_total)"])
            #expect(instant.status == 200)
            #expect(instant.text.contains(#""resultType":"vector""#))
            #expect(instant.text.contains(#"{"metric":{"code":"200"},"value":["#), "\(instant.text)")
            #expect(instant.text.contains(#","5"]}"#), "\(instant.text)")

            let form = try await TestClient.send(
                port: sidecar.adminPort, method: .POST, path: "/api/v1/query",
                headers: ["content-type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "query=sum%28modelwatch_requests_total%29+%2A+2"))
            #expect(form.status == 200)
            #expect(Self.firstValue(form) == 10, "\(form.text)")

            let now = Date().timeIntervalSince1970
            let range = try await Self.get(
                sidecar, "/api/v1/query_range",
                ["query": "sum(modelwatch_requests_total)", "start": "\(now - 30)", "end": "\(now)", "step": "1s"])
            #expect(range.status == 200)
            #expect(range.text.contains(#""resultType":"matrix""#), "\(range.text)")

            let series = try await Self.get(sidecar, "/api/v1/series", ["match[]": #"modelwatch_requests_total{code="200"}"#])
            #expect(series.status == 200)
            #expect(series.text.contains(#""__name__":"modelwatch_requests_total""#), "\(series.text)")
            #expect(series.text.contains(#""code":"200""#))

            let labels = try await Self.get(sidecar, "/api/v1/labels")
            for name in ["__name__", "code", "model", "version", "protocol", "endpoint"] {
                #expect(labels.text.contains("\"\(name)\""), "\(labels.text)")
            }
            let names = try await Self.get(sidecar, "/api/v1/label/__name__/values")
            #expect(names.text.contains(#""modelwatch_requests_total""#))
            #expect(names.text.contains(#""modelwatch_request_duration_seconds_bucket""#))

            let metadata = try await Self.get(sidecar, "/api/v1/metadata", ["metric": "modelwatch_requests_total"])
            #expect(
                metadata.text.hasPrefix(#"{"status":"success","data":{"modelwatch_requests_total":[{"type":"counter","help":""#),
                "\(metadata.text)")

            let build = try await Self.get(sidecar, "/api/v1/status/buildinfo")
            #expect(build.status == 200)
            #expect(build.text.contains(#""version":"2.42.0""#))
        }
    }

    @Test(
        "bad queries and parameters get Prometheus's error types and statuses",
        arguments: [
            ("/api/v1/query", ["query": "sum(rate(x[5m])"], 400, "bad_data", "1:16: parse error"),
            ("/api/v1/query", ["query": "foo{"], 400, "bad_data", "parse error"),
            ("/api/v1/query", [:], 400, "bad_data", "no expression found"),
            ("/api/v1/query", ["query": "up", "time": "yesterday"], 400, "bad_data", "invalid parameter \"time\""),
            ("/api/v1/query_range", ["query": "up", "start": "1", "end": "2"], 400, "bad_data", "invalid parameter \"step\""),
            ("/api/v1/query_range", ["query": "up", "start": "10", "end": "1", "step": "1"], 400, "bad_data", "end timestamp"),
            ("/api/v1/query_range", ["query": "up", "start": "0", "end": "100000", "step": "1"], 400, "bad_data", "11,000 points"),
            ("/api/v1/query_range", ["query": "up", "start": "0", "end": "10", "step": "0"], 400, "bad_data", "step"),
            ("/api/v1/series", [:], 400, "bad_data", "no match[] parameter provided"),
            ("/api/v1/series", ["match[]": "{code=\"200\""], 400, "bad_data", "match[]"),
            ("/api/v1/label/a-b/values", [:], 400, "bad_data", "invalid label name"),
            (
                "/api/v1/query", ["query": #"{__name__=~"modelwatch_.+"} * on() group_left {__name__=~"modelwatch_.+"}"#], 422, "execution",
                "many-to-many matching not allowed"
            ),
            ("/api/v1/nope", [:], 404, "not_found", "unknown API endpoint"),
        ] as [(String, [String: String], Int, String, String)])
    func badRequests(path: String, parameters: [String: String], status: Int, type: String, message: String) async throws {
        try await withSidecar(sections: Self.sections) { _, sidecar in
            try await Self.traffic(sidecar, count: 1)
            let answer = try await Self.get(sidecar, path, parameters)
            #expect(answer.status == status, "\(answer.text)")
            let body = Self.json(answer)
            #expect(body["status"] as? String == "error")
            #expect(body["errorType"] as? String == type, "\(answer.text)")
            #expect((body["error"] as? String ?? "").contains(message), "\(answer.text)")
        }
    }

    @Test("a query over the sample limit fails cleanly, and the sidecar answers the next one")
    func sampleLimit() async throws {
        let sections = "query:\n  max_samples: 10\nstorage:\n  scrape_interval: 100ms\n"
        try await withSidecar(sections: sections) { _, sidecar in
            let response = try await TestClient.send(port: sidecar.dataPort, method: .POST, path: "/echo", body: ByteBuffer(string: "x"))
            #expect(response.status == 200)
            // Wait for the store by listing series, which counts no samples against the tiny limit.
            for _ in 0..<200 {
                let series = try await Self.get(sidecar, "/api/v1/series", ["match[]": "modelwatch_requests_total"])
                if series.text.contains("modelwatch_requests_total") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let heavy = try await Self.get(sidecar, "/api/v1/query", ["query": #"{__name__=~"modelwatch_.+"}[1h]"#])
            #expect(heavy.status == 422, "\(heavy.text)")
            #expect(heavy.text.contains("too many samples into memory"), "\(heavy.text)")
            let light = try await Self.get(sidecar, "/api/v1/query", ["query": "1+1"])
            #expect(light.status == 200)
            #expect(Self.firstValue(light) == nil && light.text.contains(#""resultType":"scalar""#), "\(light.text)")
        }
    }

    @Test("heavy queries in parallel with proxy traffic: every request is answered and recording goes on")
    func heavyQueriesLeaveTheProxyAlone() async throws {
        try await withSidecar(sections: Self.sections) { _, sidecar in
            try await Self.traffic(sidecar, count: 1)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<5 {
                            let answer = try await Self.get(
                                sidecar, "/api/v1/query",
                                ["query": #"{__name__=~"modelwatch_.+"}[1h]"#])
                            // Answered (200), or turned away while the readers are busy (503): never stuck.
                            #expect(answer.status == 200 || answer.status == 503, "\(answer.text)")
                        }
                    }
                }
                group.addTask {
                    for index in 0..<50 {
                        let response = try await TestClient.send(
                            port: sidecar.dataPort, method: .POST, path: "/echo", body: ByteBuffer(string: "\(index)"))
                        #expect(response.status == 200)
                        #expect(response.text == "\(index)")
                    }
                }
                try await group.waitForAll()
            }
            // Recording went on: the store catches up with all 51 requests.
            var recorded = 0.0
            for _ in 0..<200 {
                recorded = Self.firstValue(try await Self.get(sidecar, "/api/v1/query", ["query": "sum(modelwatch_requests_total)"])) ?? 0
                if recorded >= 51 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(recorded == 51)
        }
    }
}
