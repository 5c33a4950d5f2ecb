import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1

@testable import ModelWatchProxy

/// The data port's whole request path as a client reaches it: the server's own connection
/// pipeline (`ProxyServer.configureConnection`: the connection clock, NIO's HTTP/1.1 codec,
/// `ProxyHandler`) on an `EmbeddedChannel`, with a scripted backend behind the handler's upstream
/// seam that answers, fails, streams or hangs as the input's first byte says.
///
/// Input: byte 0 scripts the backend (`BackendScript`), bytes 1 and 2 cut the rest into three
/// writes, as a client's bytes may arrive split anywhere, and byte 3 says which of the backend's
/// heads carry a field that cannot be sent on (`BackendScript.badFields`). After each write the backend moves on
/// one step; at the end the clock jumps two minutes, the backend finishes, and the client leaves.
///
/// Beyond not trapping, three invariants hold or the harness traps itself:
/// - every byte written to the client parses as a sequence of well-formed HTTP/1.1 (or 1.0)
///   responses, each framed so that a client knows where it ends;
/// - the backend never receives a request the framing rules refuse (HTTP/1.1 without exactly one
///   `Host`, `Transfer-Encoding` other than `chunked` alone or beside `Content-Length`, a bad
///   `Content-Length`, CONNECT, a target not in origin form), checked against the head as the
///   codec decoded it, by rules written here independently of `RequestFraming`;
/// - the backend never receives more body bytes than the request's `Content-Length` declared;
/// - no field the backend sent that cannot be sent on reaches the client.
enum ProxyRequestPath {
    static func feed(_ bytes: [UInt8]) {
        guard bytes.count >= 4 else { return }
        let script = BackendScript(bytes[0], badFields: bytes[3])
        let input = Array(bytes[4...])
        let first = Int(bytes[1]) % (input.count + 1)
        let second = first + Int(bytes[2]) % (input.count - first + 1)
        let parts = [input[..<first], input[first..<second], input[second...]]

        let channel = EmbeddedChannel()
        let heads = DecodedHeads()
        let backend = ScriptedBackend(script: script, heads: heads)
        var written: [UInt8] = []
        do {
            let pipeline = channel.pipeline.syncOperations
            try ProxyServer.configureConnection(
                pipeline,
                configuration: ProxyServerConfiguration(maxBodySize: script.maxBodySize),
                statistics: ConnectionStatistics(),
                upstream: { _ in backend },
                observer: nil,
                logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            // Between the codec and the handler: sees each head as the codec decoded it.
            try pipeline.addHandler(heads, position: .before(pipeline.handler(type: ProxyHandler<ScriptedBackend>.self)))
            try pipeline.addHandler(ClosedSocketWrites(), position: .first)
            // Connecting an EmbeddedChannel makes it active, as an accepted connection is.
            try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 40000)).wait()
        } catch {
            violation("the server pipeline could not be set up: \(error)")
        }
        for part in parts where channel.isActive {
            _ = try? channel.writeInbound(ByteBuffer(bytes: part))
            backend.step()
            Self.drain(channel, into: &written)
        }
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        backend.step()
        backend.finish()
        Self.drain(channel, into: &written)
        let closedBySidecar = !channel.isActive
        _ = try? channel.close().wait()
        Self.drain(channel, into: &written)
        // Accepting the close above, so that it runs the loop and drops its scheduled timers,
        // which hold the handlers (and the channel) otherwise.
        _ = try? channel.finish(acceptAlreadyClosed: true)
        backend.releaseExchanges()
        ResponseStream(written, methods: heads.methods, closed: closedBySidecar).check()
    }

    private static func drain(_ channel: EmbeddedChannel, into written: inout [UInt8]) {
        while let data = try? channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { violation("a file region was written") }
            written.append(contentsOf: buffer.readableBytesView)
        }
    }
}

/// Reports a broken invariant the way libFuzzer notices: a trap, with the reason printed.
func violation(_ message: String) -> Never {
    fatalError("proxy fuzz invariant: \(message)")
}

/// What the backend does, from one byte: the mode (bits 0-1), whether uploads report a full
/// buffer (bit 2), the status (bits 3-5), whether a body's length is declared (bit 6), and
/// whether answers wait for the request body to end / streams fail instead of ending (bit 7).
struct BackendScript {
    enum Mode {
        /// Head, body and end in one batch.
        case answer
        /// A failure before any head.
        case fail
        /// Head first, then a body part per step, then the end (or a failure).
        case stream
        /// Nothing until the end, then a timeout.
        case hang
    }

    let mode: Mode
    let fullUploads: Bool
    let status: Int
    let declaresLength: Bool
    /// Answers wait for the request body's end; streams fail after their head.
    let late: Bool
    let failureKind: UpstreamFailure.Kind
    let maxBodySize: Int
    /// Which of the backend's heads carry a field that cannot be sent on: bit `n` (0-4) for the
    /// heads numbered `n` modulo 5 from 0; bits 5-7 say which field (a bare CR, SOH or DEL in a
    /// value, or a name that is no token: `ScriptedBackend.badField`).
    let badFields: UInt8

    init(_ byte: UInt8, badFields: UInt8 = 0) {
        self.badFields = badFields
        self.mode = [Mode.answer, .fail, .stream, .hang][Int(byte & 3)]
        self.fullUploads = byte & 4 != 0
        self.status = [200, 201, 204, 206, 304, 404, 500, 503][Int((byte >> 3) & 7)]
        self.declaresLength = byte & 0x40 != 0
        self.late = byte & 0x80 != 0
        self.failureKind = [UpstreamFailure.Kind.connect, .timeout, .reset, .protocol][Int((byte >> 3) & 3)]
        // Small enough that the fuzzer's bodies reach the 413 answer.
        self.maxBodySize = byte & 0x20 != 0 ? 64 : 1 << 20
    }
}

/// Records every request head the codec decoded, in order, and checks on its own terms whether
/// it may be forwarded.
final class DecodedHeads: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: used only on the embedded loop, the fuzzer's own thread.
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private(set) var heads: [HTTPRequestHead] = []
    /// Heads already matched to a forwarded request: forwarding keeps the decoded order.
    private var matched = 0

    var methods: [HTTPMethod] { self.heads.map(\.method) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = self.unwrapInboundIn(data) {
            self.heads.append(head)
        }
        context.fireChannelRead(data)
    }

    /// The decoded head the backend's request `request` came from, which must have been allowed.
    func forwarded(_ request: UpstreamRequest) -> HTTPRequestHead {
        while self.matched < self.heads.count {
            let head = self.heads[self.matched]
            self.matched += 1
            guard head.method.rawValue == request.method, head.uri == request.target else { continue }
            if let refusal = Self.refusal(of: head) {
                violation("forwarded a request the framing rules refuse (\(refusal)): \(head)")
            }
            return head
        }
        violation("forwarded a request the codec never decoded: \(request.method) \(request.target)")
    }

    /// Why `head` must not reach a backend, by RFC 9112 §3.2, §6.1 and §6.3, or `nil`.
    static func refusal(of head: HTTPRequestHead) -> String? {
        guard head.version.major == 1 else { return "HTTP version \(head.version)" }
        if head.method == .CONNECT { return "CONNECT" }
        guard head.uri.hasPrefix("/") else { return "not origin form" }
        let hosts = head.headers["host"]
        if head.version.minor >= 1, hosts.count != 1 { return "\(hosts.count) Host headers in HTTP/1.1" }
        if hosts.count > 1 { return "several Host headers" }
        // Whitespace around a field value is not part of it (RFC 9110 §5.5).
        let lengths = head.headers["content-length"].map { $0.trimmingSpaces() }
        let codings = head.headers["transfer-encoding"]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces().lowercased() }
        if !codings.isEmpty {
            if !lengths.isEmpty { return "Transfer-Encoding with Content-Length" }
            if head.version.minor == 0 { return "Transfer-Encoding in HTTP/1.0" }
            if codings != ["chunked"] { return "Transfer-Encoding \(codings)" }
        }
        if lengths.count > 1 { return "several Content-Length headers" }
        if let length = lengths.first, length.isEmpty || !length.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return "Content-Length \(length)"
        }
        return nil
    }
}

/// Fails writes once the channel is closed, as a socket does. An `EmbeddedChannel` keeps them,
/// which would show the client answers written while closing (the codec reporting a cut-off head
/// as the connection goes) that no client can receive.
final class ClosedSocketWrites: ChannelOutboundHandler, @unchecked Sendable {
    // @unchecked Sendable: used only on the embedded loop, the fuzzer's own thread.
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard context.channel.isActive else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(data, promise: promise)
    }
}
