import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Every upstream connection busy on requests the backend never answers: the readiness probe
/// still sees the backend's health route, and a request waiting for a connection is answered
/// within `upstream.pool_timeout` instead of queueing until its total timeout.
@Suite("Upstream pool", .timeLimit(.minutes(2)))
struct UpstreamPoolTests {
    /// One event loop, so `max_connections` is that loop's whole pool and every request shares it.
    private static let oneLoop = ["event_loop_threads": "1", "idle_timeout": "120s"]

    /// Sends `GET /hang` on `count` raw connections and waits until the backend holds them all.
    private func hang(_ count: Int, on sidecar: ModelWatchProcess, backend: TestBackend) async throws -> [Int32] {
        let sockets = try RawSocket.open(port: sidecar.dataPort, count: count)
        for socket in sockets {
            let request = Array("GET /hang HTTP/1.1\r\nhost: x\r\n\r\n".utf8)
            #expect(write(socket, request, request.count) == request.count)
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while backend.requests.count(where: { $0.head.uri == "/hang" }) < count {
            guard ContinuousClock.now < deadline else { throw TestFailure("the backend never held \(count) hung requests") }
            try await Task.sleep(for: .milliseconds(20))
        }
        return sockets
    }

    @Test("with every upstream connection hung, /readyz still reports the backend ready")
    func probeDoesNotQueueBehindTraffic() async throws {
        try await withSidecar(
            server: Self.oneLoop, upstreamSettings: ["max_connections": "2", "timeout": "60s"]
        ) { backend, sidecar in
            _ = try await sidecar.waitForReadiness(true)
            let sockets = try await self.hang(2, on: sidecar, backend: backend)
            defer { for socket in sockets { close(socket) } }
            // A probe queued behind the hung requests never reaches the backend, and /readyz keeps
            // an old verdict or, once the probe gives up, says not ready for a reason that is not
            // the backend's: fresh probes must arrive and find it ready.
            let probesBefore = backend.probeCount
            let deadline = ContinuousClock.now + .seconds(30)
            while backend.probeCount < probesBefore + 3 {
                guard ContinuousClock.now < deadline else {
                    Issue.record("no readiness probe reached the backend while every proxied connection was busy")
                    return
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let readiness = try await TestClient.send(port: sidecar.adminPort, path: "/readyz")
            #expect(readiness.status == 200, "\(readiness.text)")
            #expect(readiness.text.contains("answered 200"), "\(readiness.text)")
        }
    }

    @Test("a probe the backend never answers says how long it waited, not a resolver's words")
    func probeReasonIsTrue() async throws {
        try await withSidecar(upstreamSettings: ["readiness_path": "/hang", "readiness_timeout": "1s"]) { _, sidecar in
            let readiness = try await sidecar.waitForReadiness(false, saying: "no answer within 1s")
            #expect(readiness.status == 503)
            #expect(readiness.text.contains("GET /hang: no answer within 1s"), "\(readiness.text)")
            #expect(!readiness.text.contains("resolve"), "\(readiness.text)")
        }
    }

    @Test("a request waiting for a busy pool gets 503 upstream-pool-timeout; once the hung request is cut, the next succeeds")
    func poolTimeout() async throws {
        // The total timeout is shorter than the test's bound: a wait that only it ended would show
        // as 504 upstream-timeout, not as a hang.
        try await withSidecar(
            server: Self.oneLoop, upstreamSettings: ["max_connections": "1", "pool_timeout": "1s", "timeout": "20s"]
        ) { backend, sidecar in
            let sockets = try await self.hang(1, on: sidecar, backend: backend)
            let started = ContinuousClock.now
            let waiting = try await TestClient.send(port: sidecar.dataPort, method: .POST, path: "/echo", body: ByteBuffer(string: "late"))
            #expect(waiting.status == 503, "\(waiting.text)")
            #expect(waiting.head.headers[SidecarHeader.error] == ["upstream-pool-timeout"])
            #expect(waiting.text.contains("upstream.pool_timeout"), "the body names the setting: \(waiting.text)")
            #expect(ContinuousClock.now - started < .seconds(30))
            #expect(!backend.requests.contains { $0.head.uri == "/echo" }, "the request never reached the backend")

            // The client of the hung request leaves: its connection comes free for the next one.
            // Seeing that may take the sidecar a moment on a busy machine; a slot never given back
            // would fail every try.
            for socket in sockets { close(socket) }
            var next = try await TestClient.send(port: sidecar.dataPort, method: .POST, path: "/echo", body: ByteBuffer(string: "fine"))
            let retryUntil = ContinuousClock.now + .seconds(20)
            while next.status == 503 && ContinuousClock.now < retryUntil {
                next = try await TestClient.send(port: sidecar.dataPort, method: .POST, path: "/echo", body: ByteBuffer(string: "fine"))
            }
            #expect(next.status == 200)
            #expect(next.text == "fine")
            #expect(sidecar.isRunning)
        }
    }
}
