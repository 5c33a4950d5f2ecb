import NIOCore
import NIOHTTP1
import Testing

/// Requests and responses cross the real sidecar unchanged, byte for byte.
@Suite("Proxy fidelity", .timeLimit(.minutes(2)))
struct ProxyFidelityTests {
    @Test("a JSON body goes up and comes back byte for byte, with its content type")
    func jsonRoundTrip() async throws {
        try await withSidecar { backend, sidecar in
            let json = #"{"instances":[[5.1,3.5,1.4,0.2],[6.2,NaN,4.8,1.8]],"signature_name":"serving_default","é":"ü"}"#
            let response = try await TestClient.send(
                port: sidecar.dataPort,
                method: .POST,
                path: "/v1/models/iris:predict",
                headers: ["content-type": "application/json"],
                body: ByteBuffer(string: json)
            )
            #expect(response.status == 200)
            #expect(response.text == json)
            #expect(response.head.headers["content-type"] == ["application/json"])
            #expect(response.head.headers[SidecarHeader.error].isEmpty)
            let received = try #require(backend.requests.first)
            #expect(received.head.uri == "/v1/models/iris:predict")
            #expect(String(buffer: received.body) == json)
        }
    }

    @Test("a small body that arrives in pieces reaches the backend whole, in one request")
    func smallBodyInPieces() async throws {
        try await withSidecar { backend, sidecar in
            let body = #"{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"#
            let split = body.index(body.startIndex, offsetBy: 20)
            let reply = try await TestClient.rawInPieces(
                port: sidecar.dataPort,
                [Self.smallPostHead(length: body.utf8.count), String(body[..<split]), String(body[split...])],
                pause: .milliseconds(200)
            )
            #expect(reply.hasPrefix("HTTP/1.1 200"), "\(reply)")
            #expect(backend.requests.count == 1)
            #expect(backend.requests.first.map { String(buffer: $0.body) } == body)
        }
    }

    @Test("a client that leaves halfway through a small body never reaches the backend; it counts as a truncated request (400)")
    func abandonedSmallBody() async throws {
        try await withSidecar { backend, sidecar in
            let body = #"{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"#
            _ = try await TestClient.rawInPieces(
                port: sidecar.dataPort, [Self.smallPostHead(length: body.utf8.count), String(body.prefix(20))], pause: .milliseconds(50),
                abandon: true)
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 1 }
            #expect(scrape.value("modelwatch_requests_total", ["code": "400", "model": "m"]) == 1, "\(scrape)")
            // The sidecar still serves, and the abandoned request never reached the backend.
            let response = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v2/models/m/infer", body: ByteBuffer(string: body))
            #expect(response.status == 200)
            #expect(backend.requests.count == 1)
        }
    }

    @Test("pipelined requests are answered one after another, in order, each by the backend")
    func pipelining() async throws {
        try await withSidecar { backend, sidecar in
            let body = "{}"
            let requests =
                "GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /status/201 HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                + "GET /bytes/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            let reply = try await TestClient.raw(port: sidecar.dataPort, requests)
            // Bodies are not followed by a line break, so status lines are found by their text.
            let statuses = reply.ranges(of: "HTTP/1.1 ").map { reply[$0.upperBound...].prefix(3) }
            #expect(statuses == ["200", "201", "200"], "\(reply)")
            #expect(backend.requests.map(\.head.uri) == ["/bytes/3", "/status/201", "/bytes/5"])
            // Each exchange is counted with its own status, and none is left in flight.
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 3 }
            #expect(scrape.value("modelwatch_requests_total", ["code": "200"]) == 2, "\(scrape)")
            #expect(scrape.value("modelwatch_requests_total", ["code": "201"]) == 1, "\(scrape)")
            #expect(scrape.value("modelwatch_requests_in_flight") == 0, "\(scrape)")
        }
    }

    private static func smallPostHead(length: Int) -> String {
        "POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(length)\r\nConnection: close\r\n\r\n"
    }

    @Test("binary bodies with every byte value survive in both directions")
    func binaryRoundTrip() async throws {
        try await withSidecar { backend, sidecar in
            let bytes = ByteBuffer(bytes: (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            let response = try await TestClient.send(
                port: sidecar.dataPort,
                method: .POST,
                path: "/v2/models/m/infer",
                headers: ["content-type": "application/octet-stream", "inference-header-content-length": "0"],
                body: bytes
            )
            #expect(response.status == 200)
            #expect(response.body == bytes)
            #expect(backend.requests.first?.body == bytes)
        }
    }

    @Test("10 MiB bodies cross intact in both directions, declared and chunked")
    func largeBodies() async throws {
        try await withSidecar { backend, sidecar in
            let size = 10 << 20
            let upload = TestBackend.pattern(size)
            let echoed = try await TestClient.send(port: sidecar.dataPort, method: .PUT, path: "/upload", body: upload)
            #expect(echoed.status == 200)
            #expect(echoed.body == upload)

            let chunkedUpload = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/upload", body: upload, chunked: true)
            #expect(chunkedUpload.status == 200)
            #expect(chunkedUpload.body == upload)
            #expect(backend.requests.last?.body == upload)

            let download = try await TestClient.send(port: sidecar.dataPort, path: "/bytes/\(size)")
            #expect(download.head.headers["content-length"] == ["\(size)"])
            #expect(download.body == TestBackend.pattern(size))

            let chunkedDownload = try await TestClient.send(port: sidecar.dataPort, path: "/chunked-bytes/\(size)")
            #expect(chunkedDownload.body == TestBackend.pattern(size))
        }
    }

    @Test("every method reaches the backend as sent, with its target and query string")
    func methods() async throws {
        try await withSidecar { backend, sidecar in
            let methods: [HTTPMethod] = [.GET, .HEAD, .POST, .PUT, .PATCH, .DELETE, .OPTIONS, .RAW(value: "PURGE")]
            for (index, method) in methods.enumerated() {
                let path = "/predictions/model-\(index)?alpha=1&beta=%20x&list=a,b"
                let hasBody = [.POST, .PUT, .PATCH].contains(method)
                let response = try await TestClient.send(
                    port: sidecar.dataPort,
                    method: method,
                    path: path,
                    body: hasBody ? ByteBuffer(string: "body-\(index)") : nil
                )
                #expect(response.status == 200, "\(method)")
                let received = try #require(backend.requests.last)
                #expect(received.head.method == method)
                #expect(received.head.uri == path)
                #expect(String(buffer: received.body) == (hasBody ? "body-\(index)" : ""))
                if method != .HEAD {
                    #expect(response.head.headers["x-echo-method"] == [method.rawValue])
                }
            }
        }
    }

    @Test("hop-by-hop request headers are removed, the rest kept with repeats, forwarding headers added")
    func requestHeaders() async throws {
        try await withSidecar { backend, sidecar in
            let response = try await TestClient.send(
                port: sidecar.dataPort,
                path: "/echo",
                headers: [
                    "Connection": "keep-alive, X-Hop", "X-Hop": "secret", "Keep-Alive": "timeout=9", "TE": "trailers",
                    "Proxy-Connection": "keep-alive", "X-Tenant": "a", "x-tenant": "b", "Authorization": "Bearer t",
                    "User-Agent": "modelwatch-test/1", "Host": "sidecar.example",
                ]
            )
            #expect(response.status == 200)
            let headers = try #require(backend.requests.first).head.headers
            for hop in ["x-hop", "keep-alive", "te", "proxy-connection"] {
                #expect(headers[hop].isEmpty, "\(hop) should not reach the backend")
            }
            #expect(headers["x-tenant"] == ["a", "b"])
            #expect(headers["authorization"] == ["Bearer t"])
            #expect(headers["user-agent"] == ["modelwatch-test/1"])
            #expect(headers["x-forwarded-for"] == ["127.0.0.1"])
            #expect(headers["x-forwarded-proto"] == ["http"])
            #expect(headers["x-forwarded-host"] == ["sidecar.example"])
            #expect(headers["host"] == ["127.0.0.1:\(backend.port)"])
            // libcurl adds none of its own defaults.
            #expect(headers["accept"].isEmpty)
            #expect(headers["expect"].isEmpty)
            #expect(headers["content-type"].isEmpty)
        }
    }

    @Test("response headers: hop-by-hop removed, repeated Set-Cookie and the rest kept")
    func responseHeaders() async throws {
        try await withSidecar { _, sidecar in
            let response = try await TestClient.send(port: sidecar.dataPort, path: "/headers")
            #expect(response.status == 200)
            #expect(response.head.headers["set-cookie"] == ["a=1", "b=2"])
            #expect(response.head.headers["x-kept"] == ["yes"])
            #expect(response.head.headers["x-private"].isEmpty)
            #expect(response.head.headers["keep-alive"].isEmpty)
            #expect(response.text == "ok")
        }
    }

    @Test("backend errors pass through untouched and are not marked as the sidecar's")
    func backendErrorsPassThrough() async throws {
        try await withSidecar { _, sidecar in
            for code in [400, 404, 422, 500, 503] {
                let response = try await TestClient.send(port: sidecar.dataPort, path: "/status/\(code)")
                #expect(response.status == code)
                #expect(response.text == "{\"backend_error\":\"status \(code)\"}")
                #expect(response.head.headers["x-backend"] == ["test"])
                #expect(response.head.headers[SidecarHeader.error].isEmpty)
            }
        }
    }

    @Test("a server-sent event stream reaches the client event by event")
    func streamingIsIncremental() async throws {
        try await withSidecar { backend, sidecar in
            let connection = try await TestClient.connect(port: sidecar.dataPort)
            try await connection.executeThenClose { inbound, outbound in
                try await outbound.write(
                    .head(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/sse", headers: ["host": "x", "content-length": "2"])))
                try await outbound.write(.body(.byteBuffer(ByteBuffer(string: "{}"))))
                try await outbound.write(.end(nil))
                var iterator = inbound.makeAsyncIterator()
                guard case .head(let head) = try await iterator.next() else { throw TestFailure("expected a head first") }
                #expect(head.status == .ok)
                #expect(head.headers["content-type"] == ["text/event-stream"])
                // The backend holds its second event until the gate opens: receiving the first event
                // here proves that the sidecar forwarded it before the backend finished.
                guard case .body(let first) = try await iterator.next() else { throw TestFailure("expected the first event") }
                #expect(String(buffer: first) == "data: {\"token\":\"first\"}\n\n")
                backend.gate.open()
                var rest = ByteBuffer()
                while let part = try await iterator.next() {
                    if case .body(var chunk) = part { rest.writeBuffer(&chunk) }
                    if case .end = part { break }
                }
                #expect(String(buffer: rest) == "data: {\"token\":\"last\"}\n\ndata: [DONE]\n\n")
            }
        }
    }

    @Test("keep-alive: many requests share one client connection")
    func keepAlive() async throws {
        try await withSidecar { backend, sidecar in
            let connection = try await TestClient.connect(port: sidecar.dataPort)
            try await connection.executeThenClose { inbound, outbound in
                var responses = inbound.makeAsyncIterator()
                for index in 0..<20 {
                    let body = ByteBuffer(string: "request \(index)")
                    let head = HTTPRequestHead(
                        version: .http1_1, method: .POST, uri: "/echo/\(index)",
                        headers: ["host": "x", "content-length": "\(body.readableBytes)"])
                    try await outbound.write(.head(head))
                    try await outbound.write(.body(.byteBuffer(body)))
                    try await outbound.write(.end(nil))
                    let response = try await TestClient.readResponse(&responses)
                    #expect(response.text == "request \(index)")
                }
            }
            #expect(backend.requests.count == 20)
        }
    }

    @Test("upstream connections are reused: thirty requests from thirty client connections open at most one new backend connection")
    func upstreamConnectionReuse() async throws {
        // One probe at start, then none while the requests run: a probe that overlaps a request
        // needs a second connection, and on a slow machine the loop spans several intervals. One
        // event loop: each loop keeps its own pool of backend connections.
        try await withSidecar(server: ["event_loop_threads": "1"], upstreamSettings: ["readiness_interval": "1h"]) { backend, sidecar in
            _ = try await sidecar.waitForReadiness(true)
            let before = backend.connectionsAccepted
            for index in 0..<30 {
                let response = try await TestClient.send(
                    port: sidecar.dataPort, method: .POST, path: "/echo", body: ByteBuffer(string: "\(index)"))
                #expect(response.text == "\(index)")
            }
            #expect(backend.requests.count == 30)
            // The readiness probe's connection is shared too; the backend may have closed it, so one
            // new connection is allowed.
            #expect(backend.connectionsAccepted - before <= 1)
        }
    }

    @Test("Expect: 100-continue is answered by the sidecar and the body still arrives")
    func expectContinue() async throws {
        try await withSidecar { backend, sidecar in
            let response = try await TestClient.send(
                port: sidecar.dataPort,
                method: .POST,
                path: "/echo",
                headers: ["expect": "100-continue"],
                body: ByteBuffer(string: "after continue")
            )
            #expect(response.text == "after continue")
            #expect(backend.requests.first?.head.headers["expect"].isEmpty == true)
        }
    }
}

enum SidecarHeader {
    static let error = "modelwatch-error"
}
