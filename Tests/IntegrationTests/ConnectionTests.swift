import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The data port's connections: counted as they open, close by a clock or are turned away; a
/// connection limit answered in words; running out of file descriptors logged once and survived.
@Suite("Client connections", .serialized, .timeLimit(.minutes(3)))
struct ConnectionTests {
    @Test("statuses are labelled by who gave them: the backend's own, or the sidecar's")
    func answerSource() async throws {
        try await withSidecar(server: ["max_body_size": "10"], sections: "models:\n  default: m\n") { _, sidecar in
            #expect(try await TestClient.send(port: sidecar.dataPort, path: "/bytes/3").status == 200)
            #expect(try await TestClient.send(port: sidecar.dataPort, path: "/status/503").status == 503)
            let tooLarge = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/echo", body: ByteBuffer(repeating: 0x61, count: 100))
            #expect(tooLarge.status == 413)
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 3 }
            #expect(scrape.value("modelwatch_requests_total", ["code": "200", "source": "backend"]) == 1, "\(scrape)")
            #expect(scrape.value("modelwatch_requests_total", ["code": "503", "source": "backend"]) == 1)
            #expect(scrape.value("modelwatch_requests_total", ["code": "413", "source": "sidecar"]) == 1)
            #expect(scrape.value("modelwatch_requests_total", ["source": "sidecar"]) == 1)
        }
    }

    @Test("connections are counted as accepted and open, and by the clock that closed them")
    func countedAndTimed() async throws {
        try await withSidecar(server: ["header_timeout": "300ms", "idle_timeout": "500ms"]) { _, sidecar in
            let partial = try await TestClient.raw(port: sidecar.dataPort, "GET /bytes/1 HTTP/1.1\r\nHost: a\r\nX-Partial: ")
            #expect(partial.hasPrefix("HTTP/1.1 408"))
            let idle = try await TestClient.raw(port: sidecar.dataPort, "GET /bytes/1 HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(idle.hasPrefix("HTTP/1.1 200"), "answered, then closed when idle")
            let scrape = try await sidecar.scrape {
                $0.value("modelwatch_connections_timed_out_total", ["phase": "idle"]) >= 1
                    && $0.value("modelwatch_connections_timed_out_total", ["phase": "head"]) >= 1
            }
            #expect(scrape.value("modelwatch_connections_timed_out_total", ["phase": "head"]) == 1, "\(scrape)")
            #expect(scrape.value("modelwatch_connections_timed_out_total", ["phase": "idle"]) == 1)
            #expect(scrape.value("modelwatch_connections_timed_out_total", ["phase": "body"]) == 0)
            #expect(scrape.value("modelwatch_connections_accepted_total") == 2)
            #expect(scrape.value("modelwatch_connections_open") == 0)
            #expect(scrape.value("modelwatch_connections_refused_total") == 0)
        }
    }

    @Test("a client that stalls in a streamed body gets the sidecar's 408, counted as its own timeout and never as the backend's")
    func stalledBody() async throws {
        // The stall must be timed by the client's clock (header_timeout), not the upstream
        // timeout, which would blame the backend with a 504.
        try await withSidecar(server: ["header_timeout": "1s", "idle_timeout": "60s"], upstreamSettings: ["timeout": "20s"]) {
            backend, sidecar in
            let started = ContinuousClock.now
            // 1 MiB declared, 100 KiB sent: over the 64 KiB collected before forwarding, so the
            // body streams to the backend as it arrives; then the client stalls.
            let head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(1 << 20)\r\n\r\n"
            let reply = try await TestClient.raw(
                port: sidecar.dataPort, head + String(repeating: "a", count: 100 << 10), timeout: .seconds(30))
            #expect(reply.hasPrefix("HTTP/1.1 408"), "\(reply.prefix(300))")
            #expect(reply.lowercased().contains("\(SidecarHeader.error): body-timeout"), "\(reply.prefix(300))")
            #expect(reply.contains("{\"error\":\""))
            #expect(ContinuousClock.now - started < .seconds(30))
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 1 }
            #expect(scrape.value("modelwatch_requests_total", ["code": "408", "source": "sidecar"]) == 1, "\(scrape)")
            #expect(scrape.value("modelwatch_upstream_errors_total") == 0, "the backend did nothing wrong")
            #expect(scrape.value("modelwatch_connections_timed_out_total", ["phase": "body"]) == 1)
            #expect(backend.requests.isEmpty, "the backend never got a whole request")
        }
    }

    @Test("beyond server.max_connections a connection gets the sidecar's 503 and closes; the open ones are served")
    func connectionLimit() async throws {
        try await withSidecar(server: ["max_connections": "2"]) { backend, sidecar in
            let held = try RawSocket.open(port: sidecar.dataPort, count: 2)
            defer { for socket in held { close(socket) } }
            _ = try await sidecar.scrape { $0.value("modelwatch_connections_open") == 2 }
            // The answer comes as soon as the connection is accepted, before any request.
            let extra = try #require(RawSocket.open(port: sidecar.dataPort, count: 1).first)
            defer { close(extra) }
            let refused = RawSocket.readUntilClosed(extra)
            #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused)")
            #expect(refused.lowercased().contains("modelwatch-error: connection-limit"))
            #expect(refused.contains("server.max_connections (2)"))
            #expect(backend.requests.isEmpty)
            let request = "GET /bytes/5 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            #expect(write(held[0], request, request.utf8.count) == request.utf8.count)
            var reply = [UInt8](repeating: 0, count: 4096)
            #expect(read(held[0], &reply, reply.count) > 0, "an open connection is still served")
            let scrape = try await sidecar.scrape { $0.value("modelwatch_connections_refused_total", ["reason": "limit"]) >= 1 }
            #expect(scrape.value("modelwatch_connections_refused_total", ["reason": "limit"]) == 1)
        }
    }

    @Test("out of file descriptors: logged once, counted, and connections are accepted again once descriptors free up")
    func outOfDescriptors() async throws {
        let prlimit = try #require(Tool.find("prlimit"), "prlimit (util-linux) is needed")
        // No readiness probe: its connections would free and take descriptors during the test.
        try await withSidecar(upstreamSettings: ["readiness_interval": "1h"]) { _, sidecar in
            let pid = sidecar.processIdentifier
            let inUse = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
            // A few descriptors to spare, then a flood of connections that cannot all be accepted.
            // Only the soft limit moves, so it can be raised again without privileges.
            let limited = try await Tool.run(prlimit, ["--pid", "\(pid)", "--nofile=\(inUse + 6):"], input: "")
            try #require(limited.status == 0, "\(limited.output)")
            let flood = try RawSocket.open(port: sidecar.dataPort, count: 40)
            let deadline = ContinuousClock.now + .seconds(30)
            while !sidecar.log.contains("cannot accept connections"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(sidecar.log.contains("cannot accept connections: too many open files"), "\(sidecar.log)")
            for socket in flood { close(socket) }
            let raised = try await Tool.run(prlimit, ["--pid", "\(pid)", "--nofile=\(inUse + 200):"], input: "")
            try #require(raised.status == 0, "\(raised.output)")
            // The backlog drains (the closed sockets are accepted and hang up), then a request is served.
            var served = false
            while !served, ContinuousClock.now < deadline + .seconds(30) {
                served = (try? await TestClient.send(port: sidecar.dataPort, path: "/bytes/3").status) == 200
                if !served { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(served)
            // One line when an episode begins and one when it ends, however many accepts fail (a
            // descriptor freed in between ends an episode, so there may be more than one).
            let began = sidecar.log.components(separatedBy: "cannot accept connections").count - 1
            let ended = sidecar.log.components(separatedBy: "accepting connections again").count - 1
            #expect(began >= 1 && began == ended, "\(sidecar.log)")
            let scrape = try await sidecar.scrape()
            let failed = scrape.value("modelwatch_connections_refused_total", ["reason": "descriptors"])
            #expect(failed >= Double(began), "\(scrape)")
            #expect(began <= 3, "not a line per failed accept (\(failed) failed): \(sidecar.log)")
        }
    }
}
