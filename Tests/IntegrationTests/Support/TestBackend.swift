import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP/1.1 server on loopback, standing in for a backend whose behaviour a test must
/// control exactly: when a stream's next event goes out, when a response is cut short, when
/// nothing comes back at all. Every request it receives is recorded for the test to inspect.
///
/// Routes: `/bytes/N` (N patterned bytes, Content-Length), `/chunked-bytes/N` (the same, chunked),
/// `/stall-upload` (reads the body only after `gate` opens), `/firehose` (64 MiB, counting what the socket took), `/sse` (one event, then the next only after `gate` opens), `/gated` (answers after `gate`
/// opens), `/hang` (never answers), `/early` (answers 413 as soon as the head arrives, then reads the body), `/truncate` (promises 100000 bytes, sends 1000, closes),
/// `/status/N`, `/headers` (repeated and hop-by-hop response headers), `/v2/health/ready`;
/// anything else echoes the request body (with `x-echo-status`, `x-echo-delay-ms`, and
/// `x-echo-stall-after: N`: N bytes, then the rest after `gate` opens).
final class TestBackend: Sendable {
    struct ReceivedRequest: Sendable {
        let head: HTTPRequestHead
        let body: ByteBuffer
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let port: Int
    let gate = Gate()
    private let received = NIOLockedValueBox<[ReceivedRequest]>([])
    private let firehoseWritten = NIOLockedValueBox(0)
    private let accepted = NIOLockedValueBox(0)
    private let probes = NIOLockedValueBox(0)
    private let serverChannel: any Channel
    private let acceptLoop: NIOLockedValueBox<Task<Void, Never>?> = NIOLockedValueBox(nil)

    /// Whether `/v2/health/ready` answers 200 (an Open Inference Protocol server) or 404 (any other).
    private let speaksOpenInference: Bool

    private init(port: Int, serverChannel: any Channel, speaksOpenInference: Bool) {
        self.port = port
        self.serverChannel = serverChannel
        self.speaksOpenInference = speaksOpenInference
    }

    /// Binds a fresh backend on loopback (an ephemeral port unless one is given) and starts serving.
    static func start(port: Int = 0, speaksOpenInference: Bool = true) async throws -> TestBackend {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return ConnectionHandoff(try Connection(wrappingChannelSynchronously: channel))
                }
            }
        let backend = TestBackend(
            port: server.channel.localAddress!.port!,
            serverChannel: server.channel,
            speaksOpenInference: speaksOpenInference
        )
        let task = Task {
            await withDiscardingTaskGroup { group in
                do {
                    try await server.executeThenClose { connections in
                        for try await handoff in connections {
                            guard let connection = handoff.take() else { continue }
                            group.addTask { await backend.serve(connection) }
                        }
                    }
                } catch {}
                group.cancelAll()
            }
        }
        backend.acceptLoop.withLockedValue { $0 = task }
        return backend
    }

    /// TCP connections accepted so far.
    var connectionsAccepted: Int {
        self.accepted.withLockedValue { $0 }
    }

    /// Bytes `/firehose` has handed to its socket so far.
    var firehoseBytesWritten: Int {
        self.firehoseWritten.withLockedValue { $0 }
    }

    /// Readiness probes (`/v2/health/ready`) received so far, which `requests` leaves out.
    var probeCount: Int {
        self.probes.withLockedValue { $0 }
    }

    /// Requests received so far, in arrival order.
    var requests: [ReceivedRequest] {
        self.received.withLockedValue { $0 }
    }

    /// Waits until at least `count` requests have arrived.
    func waitForRequests(_ count: Int, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while self.requests.count < count {
            guard ContinuousClock.now < deadline else { throw TestFailure("backend saw \(self.requests.count) of \(count) requests") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops listening and drops every connection.
    func shutdown() async {
        try? await self.serverChannel.close()
        let task = self.acceptLoop.withLockedValue { $0 }
        task?.cancel()
        await task?.value
    }

    private func serve(_ connection: Connection) async {
        self.accepted.withLockedValue { $0 += 1 }
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            var answered = false
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body.clear()
                    answered = false
                    if requestHead.uri == "/stall-upload" {
                        // Read nothing of the body until the test opens the gate.
                        await self.gate.wait()
                    } else if requestHead.uri == "/early" {
                        // A complete answer before the body, as a server rejecting an upload does.
                        try await self.answerEarly(outbound)
                        answered = true
                    }
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                    if head?.uri == "/early-after-body", !answered, body.readableBytes >= 20 {
                        // The answer comes once 20 bytes of body are in, before the body ends.
                        try await self.answerEarly(outbound)
                        answered = true
                    }
                case .end:
                    guard let requestHead = head, !answered else { continue }
                    if requestHead.uri != "/v2/health/ready" {
                        // Readiness probes are the sidecar's own traffic, not a client's.
                        self.received.withLockedValue { $0.append(ReceivedRequest(head: requestHead, body: body)) }
                    } else {
                        self.probes.withLockedValue { $0 += 1 }
                    }
                    guard try await self.respond(to: requestHead, body: body, outbound: outbound) else { return }
                }
            }
        }
    }

    /// A complete 413 sent before the request body has ended, as a server rejecting an upload does.
    private func answerEarly(_ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let text = ByteBuffer(string: "rejected before the body")
        let headers: HTTPHeaders = ["content-length": "\(text.readableBytes)"]
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .payloadTooLarge, headers: headers)))
        try await outbound.write(.body(.byteBuffer(text)))
        try await outbound.write(.end(nil))
    }

    /// - Returns: `false` when the connection must be dropped.
    private func respond(
        to head: HTTPRequestHead,
        body: ByteBuffer,
        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws -> Bool {
        let path = String(head.uri.split(separator: "?").first ?? "")
        let parts = path.split(separator: "/")
        func respond(_ status: HTTPResponseStatus, _ headers: HTTPHeaders, _ body: ByteBuffer?) async throws {
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
            if let body, head.method != .HEAD {
                try await outbound.write(.body(.byteBuffer(body)))
            }
            try await outbound.write(.end(nil))
        }
        switch parts.first {
        case "bytes":
            let count = Int(parts.last ?? "0") ?? 0
            try await respond(.ok, ["content-length": "\(count)", "content-type": "application/octet-stream"], Self.pattern(count))
        case "chunked-bytes":
            let pattern = Self.pattern(Int(parts.last ?? "0") ?? 0)
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok)))
            var offset = 0
            while offset < pattern.readableBytes {
                let length = min(65_536, pattern.readableBytes - offset)
                try await outbound.write(.body(.byteBuffer(pattern.getSlice(at: offset, length: length)!)))
                offset += length
            }
            try await outbound.write(.end(nil))
        case "sse":
            try await outbound.write(
                .head(
                    HTTPResponseHead(
                        version: .http1_1, status: .ok, headers: ["content-type": "text/event-stream", "cache-control": "no-cache"]))
            )
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: "data: {\"token\":\"first\"}\n\n"))))
            await self.gate.wait()
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: "data: {\"token\":\"last\"}\n\ndata: [DONE]\n\n"))))
            try await outbound.write(.end(nil))
        case "stall-upload":
            let text = "\(body.readableBytes)"
            try await respond(.ok, ["content-length": "\(text.utf8.count)"], ByteBuffer(string: text))
        case "firehose":
            // 64 MiB as fast as the connection takes it; the count shows how far a reader let it get.
            let chunk = Self.pattern(1 << 20)
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["content-length": "\(64 << 20)"])))
            for _ in 0..<64 {
                try await outbound.write(.body(.byteBuffer(chunk)))
                self.firehoseWritten.withLockedValue { $0 += chunk.readableBytes }
            }
            try await outbound.write(.end(nil))
        case "gated":
            await self.gate.wait()
            try await respond(.ok, ["content-length": "8"], ByteBuffer(string: "released"))
        case "hang":
            try await Task.sleep(for: .seconds(60))
            return false
        case "truncate":
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["content-length": "100000"])))
            try await outbound.write(.body(.byteBuffer(Self.pattern(1000))))
            return false
        case "status":
            let code = Int(parts.last ?? "500") ?? 500
            let text = "{\"backend_error\":\"status \(code)\"}"
            try await respond(
                HTTPResponseStatus(statusCode: code),
                ["content-type": "application/json", "content-length": "\(text.utf8.count)", "x-backend": "test"],
                ByteBuffer(string: text)
            )
        case "headers":
            try await respond(
                .ok,
                [
                    "content-length": "2", "set-cookie": "a=1", "Set-Cookie": "b=2", "keep-alive": "timeout=5",
                    "connection": "x-private", "x-private": "internal", "x-kept": "yes",
                ],
                ByteBuffer(string: "ok")
            )
        case "v2" where path == "/v2/health/ready":
            try await respond(self.speaksOpenInference ? .ok : .notFound, ["content-length": "0"], nil)
        case "v1" where path == "/v1/chat/completions" || path == "/v1/completions":
            try await LanguageModelReplies.respond(to: head, body: body, chat: path.hasSuffix("chat/completions"), outbound: outbound)
        default:
            // Echo, with the status and delay a test asks for in headers.
            if let delay = head.headers.first(name: "x-echo-delay-ms").flatMap({ Int($0) }) {
                try await Task.sleep(for: .milliseconds(delay))
            }
            let status = head.headers.first(name: "x-echo-status").flatMap { Int($0) } ?? 200
            var headers: HTTPHeaders = ["content-length": "\(body.readableBytes)", "x-echo-method": head.method.rawValue]
            headers.add(name: "content-type", value: head.headers.first(name: "content-type") ?? "application/octet-stream")
            if let sent = head.headers.first(name: "x-echo-stall-after").flatMap({ Int($0) }), sent < body.readableBytes {
                // The head and the first bytes, then the rest only after `gate` opens.
                try await outbound.write(
                    .head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)))
                try await outbound.write(.body(.byteBuffer(body.getSlice(at: body.readerIndex, length: sent)!)))
                await self.gate.wait()
                try await outbound.write(.body(.byteBuffer(body.getSlice(at: body.readerIndex + sent, length: body.readableBytes - sent)!)))
                try await outbound.write(.end(nil))
                return true
            }
            try await respond(HTTPResponseStatus(statusCode: status), headers, body)
        }
        return true
    }

    /// Deterministic bytes covering every byte value, so that any corruption shows.
    static func pattern(_ count: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
            for index in 0..<count {
                bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 8)
            }
            return count
        }
        return buffer
    }
}

/// A one-shot latch: everyone waiting is released when it opens; later waiters pass straight through.
final class Gate: Sendable {
    private let state = NIOLockedValueBox<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = self.state.withLockedValue { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let open = self.state.withLockedValue { state -> Bool in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
