import NIOCore
import NIOHTTP1
import NIOPosix

/// A complete response as a client saw it.
struct TestResponse: Sendable {
    let head: HTTPResponseHead
    let body: ByteBuffer

    var status: Int { Int(self.head.status.code) }
    var text: String { String(buffer: self.body) }
}

/// The connection closed before the response was complete.
struct IncompleteResponse: Error {
    let head: HTTPResponseHead?
    let bodyBytes: Int
}

/// A real HTTP/1.1 client over NIO, so tests see exactly what a client on the wire sees.
enum TestClient {
    typealias Connection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    static func connect(port: Int) async throws -> Connection {
        let handoff = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return ConnectionHandoff(try Connection(wrappingChannelSynchronously: channel))
                }
            }
        return try Self.take(handoff)
    }

    /// A raw byte connection, for tests that write bytes no HTTP encoder would.
    static func connectRaw(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let handoff = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    ConnectionHandoff(try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel))
                }
            }
        return try Self.take(handoff)
    }

    private static func take<Inbound, Outbound>(_ handoff: ConnectionHandoff<Inbound, Outbound>) throws -> NIOAsyncChannel<
        Inbound, Outbound
    > {
        guard let connection = handoff.take() else { throw TestFailure("the connection was handed over twice") }
        return connection
    }

    /// Sends one request on a new connection and reads the whole response.
    /// - Parameters:
    ///   - bodyParts: the body, written as separate parts; with no `content-length` header the
    ///     client sends them chunked.
    static func send(
        port: Int,
        method: HTTPMethod = .GET,
        path: String,
        headers: HTTPHeaders = [:],
        body: ByteBuffer? = nil,
        chunked: Bool = false
    ) async throws -> TestResponse {
        let connection = try await self.connect(port: port)
        return try await connection.executeThenClose { inbound, outbound in
            var headers = headers
            if !headers.contains(name: "host") {
                headers.add(name: "host", value: "127.0.0.1:\(port)")
            }
            if let body, !chunked, !headers.contains(name: "content-length") {
                headers.add(name: "content-length", value: "\(body.readableBytes)")
            }
            if chunked {
                headers.add(name: "transfer-encoding", value: "chunked")
            }
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)))
            if let body {
                if chunked {
                    var offset = 0
                    while offset < body.readableBytes {
                        let length = min(100_000, body.readableBytes - offset)
                        try await outbound.write(.body(.byteBuffer(body.getSlice(at: body.readerIndex + offset, length: length)!)))
                        offset += length
                    }
                } else {
                    try await outbound.write(.body(.byteBuffer(body)))
                }
            }
            try await outbound.write(.end(nil))
            var responses = inbound.makeAsyncIterator()
            return try await self.readResponse(&responses)
        }
    }

    /// Reads one response, throwing `IncompleteResponse` when the connection ends first.
    static func readResponse(
        _ parts: inout NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    ) async throws -> TestResponse {
        var head: HTTPResponseHead?
        var body = ByteBuffer()
        do {
            while let part = try await parts.next() {
                switch part {
                case .head(let responseHead) where responseHead.status.code >= 200:
                    head = responseHead
                case .head:
                    continue  // 100 Continue
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let head else { throw IncompleteResponse(head: nil, bodyBytes: body.readableBytes) }
                    return TestResponse(head: head, body: body)
                }
            }
        } catch is IncompleteResponse {
            throw IncompleteResponse(head: head, bodyBytes: body.readableBytes)
        } catch {
            throw IncompleteResponse(head: head, bodyBytes: body.readableBytes)
        }
        throw IncompleteResponse(head: head, bodyBytes: body.readableBytes)
    }

    /// Writes raw bytes in pieces with a pause between them, as a slow client does, and returns
    /// everything the server sends until it closes the connection; with `abandon`, closes the
    /// connection right after the last piece instead and returns nothing.
    static func rawInPieces(port: Int, _ pieces: [String], pause: Duration, abandon: Bool = false) async throws -> String {
        let channel = try await Self.connectRaw(port: port)
        return try await channel.executeThenClose { inbound, outbound in
            for (index, piece) in pieces.enumerated() {
                if index > 0 { try await Task.sleep(for: pause) }
                try await outbound.write(ByteBuffer(string: piece))
            }
            if abandon { return "" }
            var received = ByteBuffer()
            for try await var chunk in inbound {
                received.writeBuffer(&chunk)
            }
            return String(buffer: received)
        }
    }

    /// Writes raw bytes and returns everything the server sends until it closes the connection,
    /// one character per byte.
    static func raw(port: Int, _ bytes: String, timeout: Duration = .seconds(10)) async throws -> String {
        let channel = try await Self.connectRaw(port: port)
        return try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    if !bytes.isEmpty {
                        try await outbound.write(ByteBuffer(string: bytes))
                    }
                    var received = ByteBuffer()
                    do {
                        for try await var chunk in inbound {
                            received.writeBuffer(&chunk)
                        }
                    } catch {}
                    // One character per byte (Latin-1), so binary bodies keep their length and values.
                    return String(String.UnicodeScalarView(received.readableBytesView.map { Unicode.Scalar($0) }))
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TestFailure("the server did not close the connection within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}
