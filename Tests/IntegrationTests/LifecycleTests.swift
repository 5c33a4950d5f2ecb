import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Start-up, health, readiness and graceful shutdown of the real process.
@Suite("Lifecycle", .timeLimit(.minutes(2)))
struct LifecycleTests {
    @Test("SIGTERM stops accepting, lets in-flight requests finish, then exits 0")
    func gracefulShutdown() async throws {
        try await withSidecar(server: ["grace_period": "10s"]) { backend, sidecar in
            try await self.drain(backend: backend, sidecar: sidecar)
        }
    }

    @Test("SIGTERM closes idle keep-alive connections at once instead of waiting out the grace period")
    func idleConnectionsCloseOnShutdown() async throws {
        try await withSidecar(server: ["grace_period": "20s", "idle_timeout": "60s"]) { _, sidecar in
            let connection = try await TestClient.connect(port: sidecar.dataPort)
            try await connection.executeThenClose { inbound, outbound in
                try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/bytes/1", headers: ["host": "x"])))
                try await outbound.write(.end(nil))
                var responses = inbound.makeAsyncIterator()
                let response = try await TestClient.readResponse(&responses)
                #expect(response.status == 200)
                #expect(response.head.headers["connection"].isEmpty, "the connection stays open for the next request")

                let signalled = ContinuousClock.now
                sidecar.signal(SIGTERM)
                #expect(await sidecar.waitForExit(timeout: .seconds(10)) == 0)
                #expect(ContinuousClock.now - signalled < .seconds(10), "an idle connection must not hold shutdown")
                #expect(try await responses.next() == nil, "the sidecar closed the idle connection")
            }
        }
    }

    @Test("SIGTERM does not wait for a readiness probe that the backend never answers")
    func hungProbeDoesNotHoldShutdown() async throws {
        try await withSidecar(
            server: ["grace_period": "20s"], upstreamSettings: ["readiness_path": "/hang", "readiness_timeout": "60s"]
        ) { backend, sidecar in
            try await backend.waitForRequests(1)
            #expect(backend.requests.first?.head.uri == "/hang", "the probe is waiting on the backend")
            let signalled = ContinuousClock.now
            sidecar.signal(SIGTERM)
            #expect(await sidecar.waitForExit(timeout: .seconds(15)) == 0)
            // Waiting the probe out would take 60 s, the grace period 20 s; a loaded machine may take a few.
            #expect(ContinuousClock.now - signalled < .seconds(15), "the probe is cancelled, not waited out")
        }
    }

    private func drain(backend: TestBackend, sidecar: ModelWatchProcess) async throws {
        async let first = TestClient.send(port: sidecar.dataPort, path: "/gated")
        async let second = TestClient.send(port: sidecar.dataPort, method: .POST, path: "/gated", body: ByteBuffer(string: "x"))
        try await backend.waitForRequests(2)

        sidecar.signal(SIGTERM)
        // New connections are refused once the listener is closed.
        let deadline = ContinuousClock.now + .seconds(5)
        var refused = false
        while !refused && ContinuousClock.now < deadline {
            do {
                _ = try await TestClient.send(port: sidecar.dataPort, path: "/bytes/1")
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                refused = true
            }
        }
        #expect(refused)
        #expect(sidecar.isRunning, "in-flight requests must hold the process open")

        backend.gate.open()
        let answers = try await [first, second]
        #expect(answers.map(\.status) == [200, 200])
        #expect(answers.map(\.text) == ["released", "released"])
        #expect(await sidecar.waitForExit() == 0)
    }

    @Test("requests still running when the grace period ends are cut off and the process exits 0")
    func gracePeriodExpires() async throws {
        try await withSidecar(server: ["grace_period": "500ms"]) { backend, sidecar in
            let stuck = Task { try await TestClient.send(port: sidecar.dataPort, path: "/hang") }
            try await backend.waitForRequests(1)
            sidecar.signal(SIGTERM)
            // Generous: the grace period is 500 ms, but one fresh-clone CI run on a loaded machine
            // missed a 10 s bound (cause not established; it passes alone in about a second, and
            // 15 runs beside two busy loops took 1.5-3.6 s). The log says where shutdown stood.
            let status = await sidecar.waitForExit(timeout: .seconds(30))
            #expect(status == 0, "the sidecar's log:\n\(sidecar.log.suffix(3_000))")
            await #expect(throws: (any Error).self) { try await stuck.value }
        }
    }

    @Test("/healthz answers on the admin port; the data port forwards the same path to the backend")
    func adminPortIsSeparate() async throws {
        try await withSidecar { backend, sidecar in
            let health = try await TestClient.send(port: sidecar.adminPort, path: "/healthz")
            #expect(health.status == 200)
            #expect(health.text == #"{"status":"ok"}"#)
            let forwarded = try await TestClient.send(port: sidecar.dataPort, path: "/healthz")
            #expect(forwarded.head.headers["x-echo-method"] == ["GET"])
            #expect(backend.requests.map(\.head.uri) == ["/healthz"])
            let missing = try await TestClient.send(port: sidecar.adminPort, path: "/nothing-here")
            #expect(missing.status == 404)
        }
    }

    @Test("/readyz is ready once an Open Inference Protocol backend answers its health endpoint")
    func readiness() async throws {
        try await withSidecar { _, sidecar in
            let ready = try await sidecar.waitForReadiness(true)
            #expect(ready.status == 200)
            #expect(ready.text.contains("/v2/health/ready answered 200"))
        }
    }

    @Test("readiness_path auto: a backend without the OIP health endpoint (404) that answers HTTP counts as ready")
    func readinessAutoFallsBack() async throws {
        let backend = try await TestBackend.start(speaksOpenInference: false)
        try await withSidecar(upstream: "http://127.0.0.1:\(backend.port)") { sidecar in
            let ready = try await sidecar.waitForReadiness(true)
            #expect(ready.status == 200)
            #expect(ready.text.contains("answered 404"))
        }
        await backend.shutdown()
    }

    @Test("a configured readiness path that fails keeps /readyz at 503")
    func readinessPath() async throws {
        try await withSidecar(upstreamSettings: ["readiness_path": "/status/503"]) { _, sidecar in
            let response = try await sidecar.waitForReadiness(false, saying: "answered 503")
            #expect(response.status == 503)
            #expect(response.text.contains("answered 503"))
            // It stays so: the answer that /v2/health/ready would give (200) never counts.
            try await Task.sleep(for: .milliseconds(500))
            let later = try await TestClient.send(port: sidecar.adminPort, path: "/readyz")
            #expect(later.status == 503)
        }
    }

    @Test("a bad configuration file stops start-up with the file, line and key")
    func badConfiguration() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml").path
        try "upstream:\n  url: http://127.0.0.1:1\n  timeout: eventually\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try await ModelWatchProcess.run(["serve", "--config", path])
        #expect(status != 0)
        #expect(output.contains("\(path):3: upstream.timeout"))

        let (checkStatus, checkOutput) = try await ModelWatchProcess.run(["check", "--config", path])
        #expect(checkStatus != 0)
        #expect(checkOutput.contains("upstream.timeout"))
    }

    @Test("modelwatch check accepts a good configuration")
    func checkGoodConfiguration() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("good-\(UUID().uuidString).yaml").path
        try "upstream:\n  url: http://127.0.0.1:8501\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try await ModelWatchProcess.run(["check", "--config", path])
        #expect(status == 0)
        #expect(output.contains("configuration ok"))
    }

    @Test("a data port that is already taken stops start-up with a clear error")
    func portInUse() async throws {
        try await withSidecar { backend, sidecar in
            let (status, output) = try await ModelWatchProcess.run([
                "serve", "--upstream", "http://127.0.0.1:\(backend.port)", "--listen", "127.0.0.1:\(sidecar.dataPort)",
                "--admin-listen", "127.0.0.1:0", "--storage-path", sidecar.storagePath + "-second",
            ])
            #expect(status == 1)
            let lines = output.split(separator: "\n")
            #expect(
                lines.last == "modelwatch: cannot serve: the data port 127.0.0.1:\(sidecar.dataPort) is already in use by another process",
                "\(output)")
            // A start that failed paused nothing: no alarming line about recording.
            #expect(!output.contains("recording paused"), "\(output)")
        }
    }
}
