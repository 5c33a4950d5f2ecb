import NIOCore
import NIOHTTP1
import Testing

@testable import ModelWatchProxy

/// Each transition of a data-port connection's state machine, without a channel or a backend.
@Suite("Proxy connection state machine")
struct ProxyConnectionStateMachineTests {
    typealias Machine = ProxyConnectionStateMachine

    static func head(
        _ method: HTTPMethod = .GET, _ uri: String = "/a", version: HTTPVersion = .http1_1, headers: [(String, String)] = [("host", "a")]
    ) -> HTTPServerRequestPart {
        .head(HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(headers)))
    }

    static func response(_ status: Int, _ headers: String = "content-length: 2\r\n") -> UpstreamResponseHead {
        var parser = ResponseHeadParser()
        var head: UpstreamResponseHead?
        let fields = headers.split(separator: "\n").map { "\($0)\n" }
        for line in ["HTTP/1.1 \(status) X\r\n"] + fields + ["\r\n"] {
            let bytes = Array(line.utf8)
            head = bytes.withUnsafeBytes { parser.consume($0) } ?? head
        }
        return head!
    }

    /// A machine with a request in flight: a streamed body of `length` bytes, or none.
    static func forwarding(bodyLength: Int? = nil, maxBodySize: Int = 1 << 20) -> Machine {
        var machine = Machine(maxBodySize: maxBodySize, clientAddress: nil)
        var headers = [("host", "a")]
        if let bodyLength { headers.append(("content-length", "\(bodyLength)")) }
        _ = machine.requestPartReceived(Self.head(.POST, headers: headers))
        return machine
    }

    @Test("a request without a body is forwarded at once, and its answer keeps the connection open")
    func plainExchange() throws {
        var machine = Machine(maxBodySize: 100, clientAddress: "10.0.0.1")
        guard case .beginRequest(let request, .forward(nil, bodyFollows: false)) = machine.requestPartReceived(Self.head()) else {
            Issue.record("not forwarded")
            return
        }
        #expect(request.headers.contains { $0.name == "X-Forwarded-For" && $0.value == "10.0.0.1" })
        guard case .finishRequestBody(stopBodyClock: false) = machine.requestPartReceived(.end(nil)) else {
            Issue.record("body not finished")
            return
        }
        guard case .writeResponseHead(let head, _) = machine.responseHeadReceived(Self.response(200)) else {
            Issue.record("no head")
            return
        }
        #expect(head.status == .ok && !head.headers.contains(name: "connection"))
        guard case .writeResponseBody = machine.responseBodyReceived(ByteBuffer(string: "ok")) else {
            Issue.record("no body")
            return
        }
        guard case .endResponse(let record, then: .keepAlive) = machine.responseEnded() else {
            Issue.record("not completed")
            return
        }
        #expect(record.status == 200 && record.outcome == .completed)
        #expect(machine.nextPipelined() == nil)
    }

    @Test("a small declared body is collected and forwarded whole once it ends")
    func collectedBody() {
        var machine = Machine(maxBodySize: 100, clientAddress: nil)
        let head = Self.head(.POST, headers: [("host", "a"), ("content-length", "4"), ("expect", "100-continue")])
        guard case .beginRequest(_, .collectBody(let interim?)) = machine.requestPartReceived(head) else {
            Issue.record("not collected")
            return
        }
        #expect(interim.status == .continue)
        guard case .recordRequestBody = machine.requestPartReceived(.body(ByteBuffer(string: "ab"))) else {
            Issue.record("")
            return
        }
        guard case .recordRequestBody = machine.requestPartReceived(.body(ByteBuffer(string: "cd"))) else {
            Issue.record("")
            return
        }
        guard case .startTransfer(let request) = machine.requestPartReceived(.end(nil)) else {
            Issue.record("not started")
            return
        }
        #expect(request.body == .whole(ByteBuffer(string: "abcd")))
    }

    @Test("a streamed body is forwarded part by part and its end stops the body clock")
    func streamedBody() {
        var machine = Machine(maxBodySize: 1 << 20, clientAddress: nil)
        let head = Self.head(.POST, headers: [("host", "a"), ("content-length", "\(100 << 10)")])
        guard case .beginRequest(_, .forward(nil, bodyFollows: true)) = machine.requestPartReceived(head) else {
            Issue.record("")
            return
        }
        guard case .forwardRequestBody = machine.requestPartReceived(.body(ByteBuffer(string: "x"))) else {
            Issue.record("")
            return
        }
        guard case .finishRequestBody(stopBodyClock: true) = machine.requestPartReceived(.end(nil)) else {
            Issue.record("")
            return
        }
    }

    @Test(
        "heads the sidecar refuses are answered and the connection lingers",
        arguments: [
            (Self.head(headers: []), "malformed-request"),
            (Self.head(.GET, "http://elsewhere/"), "malformed-request"),
            (Self.head(.POST, headers: [("host", "a"), ("transfer-encoding", "gzip, chunked")]), "unsupported-transfer-coding"),
        ])
    func refusedHeads(head: HTTPServerRequestPart, cause: String) {
        var machine = Machine(maxBodySize: 100, clientAddress: nil)
        guard case .answer(let answer) = machine.requestPartReceived(head) else {
            Issue.record("not refused")
            return
        }
        #expect(answer.error.cause.rawValue == cause)
        #expect(answer.then == .close(lingering: true) && !answer.keepAlive && answer.record == nil)
        guard case .none = machine.requestPartReceived(.end(nil)) else {
            Issue.record("read after a refusal")
            return
        }
    }

    @Test("CONNECT is refused below the codec")
    func connect() {
        var machine = Machine(maxBodySize: 100, clientAddress: nil)
        guard case .refuseBelowCodec(let error) = machine.requestPartReceived(Self.head(.CONNECT, "a:443")) else {
            Issue.record("")
            return
        }
        #expect(error.cause == .upgradeNotProxied)
    }

    @Test("a declared body over the limit is observed and refused with 413")
    func declaredTooLarge() {
        var machine = Machine(maxBodySize: 10, clientAddress: nil)
        let head = Self.head(.POST, headers: [("host", "a"), ("content-length", "11")])
        guard case .beginRequest(_, .refuse(let answer)) = machine.requestPartReceived(head) else {
            Issue.record("")
            return
        }
        #expect(answer.error.status == .payloadTooLarge && answer.record?.outcome == .rejected(.bodyTooLarge))
        #expect(answer.then == .close(lingering: true))
    }

    @Test("a chunked body crossing the limit cancels the transfer: 413 before the response, a cut connection after")
    func chunkedTooLarge() {
        var machine = Machine(maxBodySize: 3, clientAddress: nil)
        _ = machine.requestPartReceived(Self.head(.POST, headers: [("host", "a"), ("transfer-encoding", "chunked")]))
        guard case .answer(let answer) = machine.requestPartReceived(.body(ByteBuffer(string: "abcd"))) else {
            Issue.record("")
            return
        }
        #expect(answer.error.status == .payloadTooLarge && answer.cancelTransfer)

        var started = Machine(maxBodySize: 3, clientAddress: nil)
        _ = started.requestPartReceived(Self.head(.POST, headers: [("host", "a"), ("transfer-encoding", "chunked")]))
        _ = started.responseHeadReceived(Self.response(200))
        guard case .abandon(cancelTransfer: true, let record, close: true) = started.requestPartReceived(.body(ByteBuffer(string: "abcd")))
        else {
            Issue.record("")
            return
        }
        #expect(record?.status == 200 && record?.outcome == .rejected(.bodyTooLarge))
    }

    @Test("a pipelined request waits, with reading paused, until the one before is answered")
    func pipelining() {
        var machine = Machine(maxBodySize: 100, clientAddress: nil)
        _ = machine.requestPartReceived(Self.head(.GET, "/1"))
        _ = machine.requestPartReceived(.end(nil))
        guard case .pauseReading = machine.requestPartReceived(Self.head(.GET, "/2")) else {
            Issue.record("not paused")
            return
        }
        guard case .none = machine.requestPartReceived(.end(nil)) else {
            Issue.record("")
            return
        }
        _ = machine.responseHeadReceived(Self.response(200))
        guard case .endResponse(_, then: .keepAlive) = machine.responseEnded() else {
            Issue.record("")
            return
        }
        guard case .beginRequest(let request, .forward) = machine.nextPipelined() else {
            Issue.record("not replayed")
            return
        }
        #expect(request.target == "/2")
        guard case .finishRequestBody = machine.nextPipelined() else {
            Issue.record("")
            return
        }
        guard case .resumeReading = machine.nextPipelined() else {
            Issue.record("reading not resumed")
            return
        }
        #expect(machine.nextPipelined() == nil)
    }

    @Test("the parser's refusal of bytes after a whole request is answered after that request's answer")
    func refusalAfterRequest() {
        var machine = Machine(maxBodySize: 100, clientAddress: nil)
        _ = machine.requestPartReceived(Self.head())
        _ = machine.requestPartReceived(.end(nil))
        guard case .pauseReading = machine.requestRefusedByParser(.malformedRequest("garbage")) else {
            Issue.record("")
            return
        }
        #expect(!machine.connectionFailed(), "the decoder repeating itself is ignored")
        _ = machine.responseHeadReceived(Self.response(200))
        _ = machine.responseEnded()
        guard case .answer(let answer) = machine.nextPipelined() else {
            Issue.record("not answered")
            return
        }
        #expect(answer.error.status == .badRequest && answer.then == .close(lingering: true))
        #expect(machine.nextPipelined() == nil)
    }

    @Test("the parser's refusal mid-request: answered before the response, a cut connection after")
    func refusalMidRequest() {
        var machine = Self.forwarding(bodyLength: 100 << 10)
        guard case .answer(let answer) = machine.requestRefusedByParser(.malformedRequest("bad chunk")) else {
            Issue.record("")
            return
        }
        #expect(answer.cancelTransfer && answer.record?.status == 400)

        var started = Self.forwarding(bodyLength: 100 << 10)
        _ = started.responseHeadReceived(Self.response(200))
        guard case .abandon(cancelTransfer: true, _, close: true) = started.requestRefusedByParser(.malformedRequest("x")) else {
            Issue.record("")
            return
        }
        #expect(started.connectionFailed())
    }

    @Test("a full upload buffer pauses reading once; its draining resumes it")
    func uploadFlowControl() {
        var machine = Self.forwarding(bodyLength: 10 << 20, maxBodySize: 64 << 20)
        guard case .pauseReading = machine.uploadBufferFilled() else {
            Issue.record("")
            return
        }
        guard case .none = machine.uploadBufferFilled() else {
            Issue.record("paused twice")
            return
        }
        guard case .resumeReading = machine.uploadBufferDrained() else {
            Issue.record("")
            return
        }
        guard case .none = machine.uploadBufferDrained() else {
            Issue.record("resumed twice")
            return
        }
    }

    @Test("a stalled streamed body is the client's fault: 408 body-timeout, never the backend's timeout")
    func bodyTimeout() {
        var machine = Self.forwarding(bodyLength: 1 << 20)
        guard case .answer(let answer) = machine.requestBodyTimedOut() else {
            Issue.record("not answered")
            return
        }
        #expect(answer.error.status == .requestTimeout && answer.error.cause == .bodyTimeout)
        #expect(answer.cancelTransfer && answer.record?.outcome == .rejected(.bodyTimeout) && answer.then == .close(lingering: true))
        guard case .none = machine.upstreamFailed(UpstreamFailure(kind: .timeout, detail: "late")) else {
            Issue.record("")
            return
        }

        var started = Self.forwarding(bodyLength: 1 << 20)
        _ = started.responseHeadReceived(Self.response(200))
        guard case .abandon(cancelTransfer: true, let record, close: true) = started.requestBodyTimedOut() else {
            Issue.record("")
            return
        }
        #expect(record?.outcome == .rejected(.bodyTimeout))

        var ended = Self.forwarding(bodyLength: 1)
        _ = ended.requestPartReceived(.end(nil))
        guard case .none = ended.requestBodyTimedOut() else {
            Issue.record("a late clock counts")
            return
        }
    }

    @Test("a backend failure before the response: the sidecar's 502, keeping the connection only when the request was read")
    func upstreamFailure() {
        var ended = Self.forwarding()
        _ = ended.requestPartReceived(.end(nil))
        guard case .answer(let answer) = ended.upstreamFailed(UpstreamFailure(kind: .connect, detail: "refused")) else {
            Issue.record("")
            return
        }
        #expect(answer.error.status == .badGateway && answer.keepAlive && answer.then == .keepAlive)
        #expect(answer.record?.outcome == .upstreamFailed(UpstreamFailure(kind: .connect, detail: "refused")))

        var unread = Self.forwarding(bodyLength: 1 << 20)
        guard case .answer(let cut) = unread.upstreamFailed(UpstreamFailure(kind: .timeout, detail: "slow")) else {
            Issue.record("")
            return
        }
        #expect(cut.error.status == .gatewayTimeout && !cut.keepAlive && cut.then == .close(lingering: true))

        var started = Self.forwarding()
        _ = started.responseHeadReceived(Self.response(200))
        guard case .abandon(cancelTransfer: false, _, close: true) = started.upstreamFailed(UpstreamFailure(kind: .reset, detail: "x"))
        else {
            Issue.record("")
            return
        }
    }

    @Test("an answer before the request's end: the rest of the body is dropped, then the next request may come")
    func earlyAnswer() {
        var machine = Self.forwarding(bodyLength: 1 << 20)
        _ = machine.responseHeadReceived(Self.response(413))
        guard case .endResponse(_, then: .discardRequestBody) = machine.responseEnded() else {
            Issue.record("")
            return
        }
        guard case .none = machine.requestPartReceived(.body(ByteBuffer(string: "x"))) else {
            Issue.record("forwarded")
            return
        }
        guard case .requestBodyDiscarded = machine.requestPartReceived(.end(nil)) else {
            Issue.record("")
            return
        }
        guard case .beginRequest = machine.requestPartReceived(Self.head()) else {
            Issue.record("next request refused")
            return
        }
    }

    @Test("a client that leaves mid-exchange cancels the transfer and is recorded as gone")
    func clientClosed() {
        var machine = Self.forwarding(bodyLength: 1 << 20)
        guard case .abandon(cancelTransfer: true, let record, close: false) = machine.clientClosed() else {
            Issue.record("")
            return
        }
        #expect(record?.outcome == .clientClosed && record?.status == nil)
        guard case .none = machine.clientClosed() else {
            Issue.record("")
            return
        }
    }

    @Test("graceful shutdown closes an idle connection at once, a busy one after its answer")
    func quiesce() {
        var idle = Machine(maxBodySize: 100, clientAddress: nil)
        guard case .close = idle.quiesce() else {
            Issue.record("")
            return
        }

        var busy = Self.forwarding()
        _ = busy.requestPartReceived(.end(nil))
        guard case .none = busy.quiesce() else {
            Issue.record("")
            return
        }
        guard case .writeResponseHead(let head, _) = busy.responseHeadReceived(Self.response(200)) else {
            Issue.record("")
            return
        }
        #expect(head.headers["connection"] == ["close"])
        guard case .endResponse(_, then: .close(lingering: false)) = busy.responseEnded() else {
            Issue.record("")
            return
        }
    }

    @Test("an HTTP/1.0 answer of unknown length closes the connection; a known one keeps it alive")
    func http10() {
        var machine = Machine(maxBodySize: 100, clientAddress: nil)
        _ = machine.requestPartReceived(Self.head(version: .http1_0, headers: [("connection", "keep-alive")]))
        guard case .writeResponseHead(let head, _) = machine.responseHeadReceived(Self.response(200, "")) else {
            Issue.record("")
            return
        }
        #expect(head.headers["connection"] == ["close"])

        var known = Machine(maxBodySize: 100, clientAddress: nil)
        _ = known.requestPartReceived(Self.head(version: .http1_0, headers: [("connection", "keep-alive")]))
        guard case .writeResponseHead(let kept, _) = known.responseHeadReceived(Self.response(200)) else {
            Issue.record("")
            return
        }
        #expect(kept.headers["connection"] == ["keep-alive"])
    }
}
