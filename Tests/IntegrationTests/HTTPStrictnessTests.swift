import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// Requests a backend might frame differently than the sidecar (RFC 9112 §3.2 and §6, request
/// smuggling) are answered by the sidecar and never forwarded, with a status and words a user can
/// act on; a valid request followed by garbage is still answered.
@Suite("HTTP strictness", .timeLimit(.minutes(2)))
struct HTTPStrictnessTests {
    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let request: String
        let status: Int
        let cause: String
        let words: String
        var testDescription: String { self.name }
    }

    static let refusals: [Refusal] = [
        Refusal(
            name: "HTTP/1.1 without Host", request: "GET /a HTTP/1.1\r\n\r\n", status: 400, cause: "malformed-request",
            words: "exactly one Host header; it had none"),
        Refusal(
            name: "two Host headers", request: "GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400, cause: "malformed-request",
            words: "exactly one Host header; it had 2"),
        Refusal(
            name: "a transfer coding before chunked",
            request: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", status: 501,
            cause: "unsupported-transfer-coding",
            words: "only the chunked transfer coding is supported; the request used \\\"gzip, chunked\\\""
        ),
        Refusal(
            name: "Transfer-Encoding in HTTP/1.0", request: "POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            status: 400, cause: "malformed-request", words: "Transfer-Encoding is not allowed in an HTTP/1.0 request"),
        Refusal(
            name: "Content-Length with Transfer-Encoding",
            request: "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            status: 400, cause: "malformed-request", words: "framing is ambiguous"),
        Refusal(
            name: "two Content-Length headers",
            request: "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            status: 400, cause: "malformed-request", words: "Content-Length appears more than once"),
        Refusal(
            name: "a Content-Length list", request: "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", status: 400,
            cause: "malformed-request", words: "Content-Length is not a single decimal number"),
        Refusal(
            name: "obs-fold", request: "GET /a HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", status: 400, cause: "malformed-request",
            words: "a header line is malformed"),
        Refusal(
            name: "whitespace before the colon", request: "GET /a HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n", status: 400,
            cause: "malformed-request", words: "a header line is malformed"),
        Refusal(
            name: "headers over 80 KiB", request: "GET /a HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "a", count: 90_000))\r\n\r\n",
            status: 431, cause: "head-too-large", words: "the request line and headers exceed 80 KiB"),
        Refusal(
            name: "a request line over 64 KiB", request: "GET /\(String(repeating: "a", count: 70_000)) HTTP/1.1\r\nHost: a\r\n\r\n",
            status: 414, cause: "uri-too-long", words: "the request line exceeds 64 KiB"),
        Refusal(
            name: "CONNECT", request: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", status: 501,
            cause: "upgrade-not-proxied", words: "CONNECT and protocol upgrades are not proxied"),
        Refusal(
            name: "an absolute-form target", request: "GET http://elsewhere.example/ HTTP/1.1\r\nHost: elsewhere.example\r\n\r\n",
            status: 400, cause: "malformed-request", words: "only origin-form request targets are proxied"),
    ]

    @Test("refused with the sidecar's JSON error naming the cause, never forwarded", arguments: Self.refusals)
    func refused(_ refusal: Refusal) async throws {
        try await withSidecar { backend, sidecar in
            let reply = try await TestClient.raw(port: sidecar.dataPort, refusal.request)
            let head = reply.components(separatedBy: "\r\n\r\n").first ?? ""
            #expect(head.hasPrefix("HTTP/1.1 \(refusal.status) ") || head.hasPrefix("HTTP/1.0 \(refusal.status) "), "\(head)")
            #expect(head.lowercased().contains("modelwatch-error: \(refusal.cause)"), "\(head)")
            #expect(head.lowercased().contains("content-type: application/json"), "\(head)")
            #expect(reply.hasSuffix("\"}") && reply.contains("{\"error\":\"") && reply.contains(refusal.words), "\(reply.suffix(300))")
            #expect(backend.requests.isEmpty, "forwarded: \(backend.requests.map(\.head.uri))")
            // The sidecar goes on serving.
            let next = try await TestClient.send(port: sidecar.dataPort, method: .POST, path: "/echo", body: ByteBuffer(string: "ok"))
            #expect(next.text == "ok")
        }
    }

    @Test("a request line over 64 KiB sent a kilobyte at a time gets 414 before the parser's own limit")
    func trickledRequestLine() async throws {
        try await withSidecar { backend, sidecar in
            let line = "GET /\(String(repeating: "a", count: 70_000)) HTTP/1.1\r\nHost: a\r\n\r\n"
            var pieces: [String] = []
            var rest = Substring(line)
            while !rest.isEmpty {
                pieces.append(String(rest.prefix(1024)))
                rest = rest.dropFirst(1024)
            }
            let reply = try await TestClient.rawInPieces(port: sidecar.dataPort, pieces, pause: .zero)
            #expect(reply.hasPrefix("HTTP/1.1 414 "), "\(reply.prefix(200))")
            #expect(backend.requests.isEmpty)
        }
    }

    @Test("a client still sending a large body after its request was refused reads the whole answer, not a reset")
    func refusalWhileSending() async throws {
        try await withSidecar { backend, sidecar in
            let socket = try #require(RawSocket.open(port: sidecar.dataPort, count: 1).first)
            defer { close(socket) }
            // No Host: refused as soon as the head is parsed, while 8 MiB of body still follow.
            let head = "POST /a HTTP/1.1\r\nContent-Length: \(8 << 20)\r\n\r\n"
            let (sent, reply) = try await onOwnThread {
                var sent = RawSocket.send(socket, Array(head.utf8))
                let chunk = [UInt8](repeating: 0x61, count: 64 << 10)
                for _ in 0..<128 where sent {
                    sent = RawSocket.send(socket, chunk)
                }
                return (sent, RawSocket.readUntilClosed(socket))
            }
            // A reset here is what makes clients such as Python's report "connection reset"
            // instead of the answer.
            #expect(sent, "the whole body was taken (read and dropped), not reset")
            #expect(reply.hasPrefix("HTTP/1.1 400"), "\(reply.prefix(300))")
            #expect(reply.hasSuffix("exactly one Host header; it had none\"}"), "the whole answer arrived: \(reply.prefix(300))")
            #expect(backend.requests.isEmpty)
        }
    }

    @Test("a valid request followed in the same write by garbage is answered; only the garbage is refused")
    func validThenGarbage() async throws {
        try await withSidecar { backend, sidecar in
            let garbage = "\u{1}" + String(repeating: "garbage ", count: 8_000)
            let reply = try await TestClient.raw(
                port: sidecar.dataPort, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789" + garbage)
            let answers = reply.components(separatedBy: "HTTP/1.1 ").dropFirst()
            #expect(answers.count == 2, "\(reply)")
            #expect(answers.first?.hasPrefix("200 ") == true && answers.first?.hasSuffix("0123456789") == true, "\(reply)")
            #expect(answers.last?.hasPrefix("400 ") == true && answers.last?.contains("not an HTTP request") == true, "\(reply)")
            #expect(backend.requests.map(\.head.uri) == ["/echo"])
        }
    }

    @Test("pipelined requests before garbage are all answered in order, then the garbage is refused")
    func pipelinedThenGarbage() async throws {
        try await withSidecar { backend, sidecar in
            let reply = try await TestClient.raw(
                port: sidecar.dataPort, "GET /bytes/3 HTTP/1.1\r\nHost: a\r\n\r\nGET /bytes/4 HTTP/1.1\r\nHost: a\r\n\r\nBLAH\u{1}\r\n\r\n")
            let statuses = reply.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
            #expect(statuses == ["200", "200", "400"], "\(reply)")
            #expect(backend.requests.map(\.head.uri) == ["/bytes/3", "/bytes/4"])
        }
    }

    @Test("a request asking for a protocol upgrade is answered without the upgrade, and the connection closes after it")
    func upgrade() async throws {
        try await withSidecar { backend, sidecar in
            let reply = try await TestClient.raw(
                port: sidecar.dataPort, "GET /bytes/3 HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
            #expect(reply.hasPrefix("HTTP/1.1 200 "), "\(reply)")
            #expect(reply.lowercased().contains("connection: close"), "\(reply)")
            #expect(backend.requests.first?.head.headers["upgrade"] == [], "the upgrade is not forwarded")
        }
    }
}
