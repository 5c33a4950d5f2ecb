import NIOCore
import NIOHTTP1

/// The decisions of one data-port connection, as a value: which request is in flight, what waits
/// behind it, when the client is read from, and how each answer leaves the connection.
///
/// `ProxyHandler` feeds it what happens (request parts, the backend's events, the client leaving,
/// the body clock running out, graceful shutdown) and carries out the `Action` each input returns.
/// Nothing here does I/O, so every transition can be tested on its own; and whether reading is
/// paused is decided in one place, from its two reasons (a pipelined request waiting, the upload
/// buffer full), instead of by whichever code path last touched `autoRead`.
///
/// It serves one request at a time: a request pipelined behind the one in flight waits, with
/// reading paused, until that one is answered. (NIO's `HTTPServerPipelineHandler` would do this
/// too, but it pauses and resumes reading around every request, two `epoll_ctl` calls each,
/// though clients almost never pipeline.)
struct ProxyConnectionStateMachine {
    /// Bodies of a declared length up to this size are collected before the transfer starts, as
    /// nginx buffers request bodies: libcurl then sends head and body in one write and never
    /// waits for body bytes. Larger and chunked bodies stream as they arrive.
    static let collectedBodyLimit = 64 << 10

    /// What the observer is told when an exchange ends.
    struct Record {
        /// The status the client received, `nil` when it received none.
        var status: Int?
        var outcome: ExchangeObservation.Outcome
    }

    /// What becomes of the connection once an answer is complete.
    enum Completion: Equatable {
        /// The exchange is over; the next request may come (pipelined ones are replayed).
        case keepAlive
        /// The answer went out before the request's body ended: the transfer is abandoned, and
        /// the rest of the body is read and dropped before the next request.
        case discardRequestBody
        /// The connection closes. `lingering` when the client may still be sending: closing at
        /// once with unread bytes resets the connection, which can destroy the answer.
        case close(lingering: Bool)
    }

    /// One of the sidecar's own answers, and what follows it.
    struct Answer {
        var error: SidecarError
        var version: HTTPVersion
        var keepAlive: Bool
        /// The exchange's transfer is still running and must be abandoned.
        var cancelTransfer: Bool
        var record: Record?
        var then: Completion
    }

    /// How an accepted request head goes on.
    enum RequestStart {
        /// The transfer starts now; the body, if any, streams as it arrives.
        case forward(interim: HTTPResponseHead?, bodyFollows: Bool)
        /// A small body is collected first; the transfer starts at its end (`startTransfer`).
        case collectBody(interim: HTTPResponseHead?)
        /// The request is observed, then refused (a declared body over the limit).
        case refuse(Answer)
    }

    enum Action {
        case none
        case pauseReading
        case resumeReading
        /// A request head was accepted: its observation begins, and it starts as `RequestStart` says.
        case beginRequest(UpstreamRequest, RequestStart)
        /// Part of a small body being collected: observed only, for now.
        case recordRequestBody(ByteBuffer)
        /// A collected request is complete: its transfer starts, with nothing more to send.
        case startTransfer(UpstreamRequest)
        /// Body bytes for the backend (and the observer).
        case forwardRequestBody(ByteBuffer)
        /// The request body ended; its clock stops when one was running.
        case finishRequestBody(stopBodyClock: Bool)
        /// The body after an early answer has been dropped to its end: the next request may come.
        case requestBodyDiscarded
        /// The backend's response head, as the client gets it (hop-by-hop headers replaced).
        case writeResponseHead(HTTPResponseHead, UpstreamResponseHead)
        case writeResponseBody(ByteBuffer)
        /// The backend's response is complete.
        case endResponse(Record, then: Completion)
        /// The sidecar answers itself.
        case answer(Answer)
        /// Refused below the codec (NIO's encoder drops the body of any answer to CONNECT).
        case refuseBelowCodec(SidecarError)
        /// The exchange ends without an answer: the status is on the wire already, or the client
        /// is gone. `close` is false when the connection is closed already.
        case abandon(cancelTransfer: Bool, record: Record?, close: Bool)
        /// Close now: nothing is owed to the client.
        case close
    }

    /// A request whose small body is still arriving; its transfer starts once the body is complete.
    private struct PendingRequest {
        var request: UpstreamRequest
        let version: HTTPVersion
        let keepAlive: Bool
        var body: ByteBuffer?
    }

    /// The request in flight.
    private struct Exchange {
        let version: HTTPVersion
        var keepAlive: Bool
        /// The body streams after the transfer started, so the body clock runs until its end.
        let bodyFollows: Bool
        var requestEnded: Bool
        var requestBytes = 0
        /// The status sent to the client, once the response head went out.
        var responseStatus: Int?
    }

    /// What waits behind the exchange in flight: parts of pipelined requests, or the parser's
    /// refusal of bytes that came after them, answered only once the requests before are.
    private enum Queued {
        case part(HTTPServerRequestPart)
        case refusal(SidecarError)
    }

    private enum State {
        case idle
        case collecting(PendingRequest)
        case forwarding(Exchange)
        /// The response went out before the request finished: the rest of its body is dropped.
        case discardingRequestBody
        /// The connection is closing; nothing more is read or written.
        case closing
    }

    private let maxBodySize: Int
    private let clientAddress: String?
    private var state = State.idle
    /// Reading is paused while any wait here, so they are at most what one read brought in.
    private var pipelined = CircularBuffer<Queued>()
    /// The transfer's upload buffer is full: reading waits for `uploadBufferDrained`.
    private var uploadBufferFull = false
    /// What the channel was last told.
    private var readingPaused = false
    /// Graceful shutdown asked this connection to close after the exchange in flight.
    private var quiescing = false

    /// - Parameters:
    ///   - clientAddress: added to forwarded requests (`X-Forwarded-For`).
    init(maxBodySize: Int, clientAddress: String?) {
        self.maxBodySize = maxBodySize
        self.clientAddress = clientAddress
    }

    // MARK: The client's side

    /// A request part came from the codec.
    mutating func requestPartReceived(_ part: HTTPServerRequestPart) -> Action {
        if !self.pipelined.isEmpty {
            self.pipelined.append(.part(part))
            return .none
        }
        if case .head = part, case .forwarding = self.state {
            // Only a new request's head can arrive while an answer is awaited: HTTP/1.1 parts of
            // one request come in order, and the request in flight has ended.
            self.pipelined.append(.part(part))
            return self.pauseReading()
        }
        return self.process(part)
    }

    /// The codec refused the bytes that followed what it decoded so far.
    mutating func requestRefusedByParser(_ answer: SidecarError) -> Action {
        switch self.state {
        case .forwarding(let exchange) where exchange.requestEnded || !self.pipelined.isEmpty:
            // The refused bytes came after a whole request, which is answered first; nothing
            // more is read (the decoder would only report its error again).
            self.pipelined.append(.refusal(answer))
            return self.pauseReading()
        case .idle, .discardingRequestBody:
            self.state = .closing
            return .answer(Answer(error: answer, version: .http1_1, keepAlive: false, cancelTransfer: false, record: nil, then: .lingering))
        case .collecting(let pending):
            self.state = .closing
            return .answer(
                Answer(
                    error: answer, version: pending.version, keepAlive: false, cancelTransfer: false, record: .rejected(answer),
                    then: .lingering))
        case .forwarding(let exchange) where exchange.responseStatus == nil:
            self.state = .closing
            return .answer(
                Answer(
                    error: answer, version: exchange.version, keepAlive: false, cancelTransfer: true, record: .rejected(answer),
                    then: .lingering))
        case .forwarding(let exchange):
            self.state = .closing
            return .abandon(
                cancelTransfer: true, record: Record(status: exchange.responseStatus, outcome: .rejected(answer.cause)), close: true)
        case .closing:
            return .none
        }
    }

    /// A failure on the connection other than the parser's, such as a reset.
    /// - Returns: whether the handler should close the connection.
    func connectionFailed() -> Bool {
        // After a refusal waiting its turn, the decoder repeats itself on every read; the
        // refusal is answered after the request before it.
        !self.pipelined.contains { if case .refusal = $0 { true } else { false } }
    }

    /// The client went away.
    mutating func clientClosed() -> Action {
        defer { self.state = .closing }
        switch self.state {
        case .forwarding(let exchange):
            return .abandon(cancelTransfer: true, record: Record(status: exchange.responseStatus, outcome: .clientClosed), close: false)
        case .collecting:
            return .abandon(cancelTransfer: false, record: Record(status: nil, outcome: .clientClosed), close: false)
        case .idle, .discardingRequestBody, .closing:
            return .none
        }
    }

    /// The client's body stopped arriving for longer than its clock allows while the sidecar was
    /// reading: the client's fault, so a 408 of the sidecar's, not the backend's timeout later.
    mutating func requestBodyTimedOut() -> Action {
        guard case .forwarding(let exchange) = self.state, !exchange.requestEnded else { return .none }
        self.state = .closing
        guard exchange.responseStatus == nil else {
            return .abandon(
                cancelTransfer: true, record: Record(status: exchange.responseStatus, outcome: .rejected(.bodyTimeout)), close: true)
        }
        let answer = SidecarError.bodyTimeout
        return .answer(
            Answer(
                error: answer, version: exchange.version, keepAlive: false, cancelTransfer: true, record: .rejected(answer),
                then: .lingering))
    }

    /// Graceful shutdown: an idle connection closes at once, a busy one after its answer.
    mutating func quiesce() -> Action {
        self.quiescing = true
        guard case .idle = self.state else { return .none }
        self.state = .closing
        return .close
    }

    // MARK: The backend's side

    /// The transfer's upload buffer went over its high-water mark.
    mutating func uploadBufferFilled() -> Action {
        self.uploadBufferFull = true
        return self.pauseReading()
    }

    /// The transfer's upload buffer drained after it was full.
    mutating func uploadBufferDrained() -> Action {
        self.uploadBufferFull = false
        return self.resumeReadingIfUnblocked() ?? .none
    }

    mutating func responseHeadReceived(_ response: UpstreamResponseHead) -> Action {
        guard case .forwarding(var exchange) = self.state else { return .none }
        guard var headers = HeaderPolicy.clientResponseHeaders(response) else {
            // Nothing of the answer reaches the client: a 502, as for any answer that is not HTTP.
            let failure = UpstreamFailure(kind: .protocol, detail: "the backend's answer has a header field that cannot be sent on")
            return self.fail(exchange, failure, transferRunning: true)
        }
        if self.quiescing {
            exchange.keepAlive = false
        }
        if exchange.version.major == 1, exchange.version.minor == 0, !headers.contains(name: "content-length") {
            exchange.keepAlive = false
        }
        if !exchange.keepAlive {
            headers.add(name: "connection", value: "close")
        } else if exchange.version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        exchange.responseStatus = response.status
        self.state = .forwarding(exchange)
        let status = HTTPResponseStatus(statusCode: response.status)
        return .writeResponseHead(HTTPResponseHead(version: exchange.version, status: status, headers: headers), response)
    }

    mutating func responseBodyReceived(_ buffer: ByteBuffer) -> Action {
        guard case .forwarding = self.state else { return .none }
        return .writeResponseBody(buffer)
    }

    mutating func responseEnded() -> Action {
        guard case .forwarding(let exchange) = self.state else { return .none }
        let record = Record(status: exchange.responseStatus, outcome: .completed)
        return .endResponse(record, then: self.complete(exchange, keepAlive: exchange.keepAlive))
    }

    mutating func upstreamFailed(_ failure: UpstreamFailure) -> Action {
        guard case .forwarding(let exchange) = self.state else { return .none }
        return self.fail(exchange, failure, transferRunning: false)
    }

    /// Ends `exchange` with `failure`: the sidecar's answer when nothing of the backend's went
    /// out yet, a truncated body otherwise. `transferRunning`: the transfer has not ended and is
    /// abandoned.
    private mutating func fail(_ exchange: Exchange, _ failure: UpstreamFailure, transferRunning: Bool) -> Action {
        guard exchange.responseStatus == nil else {
            // The status is already on the wire; a truncated body is all that can signal it.
            self.state = .closing
            return .abandon(
                cancelTransfer: transferRunning, record: Record(status: exchange.responseStatus, outcome: .upstreamFailed(failure)),
                close: true)
        }
        let keepAlive = exchange.keepAlive && exchange.requestEnded
        let error = SidecarError.upstream(failure)
        let record = Record(status: Int(error.status.code), outcome: .upstreamFailed(failure))
        let then = self.complete(exchange, keepAlive: keepAlive)
        return .answer(
            Answer(
                error: error, version: exchange.version, keepAlive: keepAlive, cancelTransfer: transferRunning, record: record, then: then
            ))
    }

    /// The next part waiting behind an answered exchange, once the connection can take it; call
    /// after a `keepAlive` or `discardRequestBody` completion until it returns `nil`.
    mutating func nextPipelined() -> Action? {
        if let next = self.pipelined.first {
            switch next {
            case .part(let part):
                if case .head = part, case .forwarding = self.state { return nil }
                self.pipelined.removeFirst()
                return self.process(part)
            case .refusal(let error):
                guard case .idle = self.state else { return nil }
                self.pipelined.removeFirst()
                self.state = .closing
                return .answer(
                    Answer(error: error, version: .http1_1, keepAlive: false, cancelTransfer: false, record: nil, then: .lingering))
            }
        }
        return self.resumeReadingIfUnblocked()
    }

    // MARK: Transitions

    private mutating func process(_ part: HTTPServerRequestPart) -> Action {
        switch part {
        case .head(let head):
            return self.receiveHead(head)
        case .body(let buffer):
            return self.receiveBody(buffer)
        case .end:
            return self.receiveEnd()
        }
    }

    private mutating func receiveHead(_ head: HTTPRequestHead) -> Action {
        guard case .idle = self.state else { return .none }
        if head.method == .CONNECT {
            self.state = .closing
            return .refuseBelowCodec(.upgradeRefused)
        }
        var refusal = RequestFraming.check(head)
        if refusal == nil, !head.uri.hasPrefix("/") {
            refusal = .malformedRequest("only origin-form request targets are proxied, got \"\(head.uri)\"")
        }
        if let refusal {
            self.state = .closing
            return .answer(
                Answer(error: refusal, version: head.version, keepAlive: false, cancelTransfer: false, record: nil, then: .lingering))
        }
        let request = HeaderPolicy.upstreamRequest(for: head, clientAddress: self.clientAddress)
        if case .length(let length) = request.body, length > self.maxBodySize {
            self.state = .closing
            let error = SidecarError.bodyTooLarge(limit: self.maxBodySize)
            let answer = Answer(
                error: error, version: head.version, keepAlive: false, cancelTransfer: false, record: .rejected(error), then: .lingering)
            return .beginRequest(request, .refuse(answer))
        }
        let expectsContinue = head.headers[canonicalForm: "expect"].contains { $0.isHeaderName("100-continue") }
        let interim = expectsContinue ? HTTPResponseHead(version: head.version, status: .continue) : nil
        // After a request asking for an upgrade the parser reads nothing more on this connection,
        // so it closes after the answer (the upgrade itself is not forwarded).
        let keepAlive = head.isKeepAlive && !head.headers.contains(name: "upgrade")
        switch request.body {
        case .length(let length) where length > 0 && length <= Self.collectedBodyLimit:
            self.state = .collecting(PendingRequest(request: request, version: head.version, keepAlive: keepAlive))
            return .beginRequest(request, .collectBody(interim: interim))
        case .length(let length):
            let bodyFollows = length > 0
            self.state = .forwarding(Exchange(version: head.version, keepAlive: keepAlive, bodyFollows: bodyFollows, requestEnded: false))
            return .beginRequest(request, .forward(interim: interim, bodyFollows: bodyFollows))
        case .chunked:
            self.state = .forwarding(Exchange(version: head.version, keepAlive: keepAlive, bodyFollows: true, requestEnded: false))
            return .beginRequest(request, .forward(interim: interim, bodyFollows: true))
        case .none, .whole:
            self.state = .forwarding(Exchange(version: head.version, keepAlive: keepAlive, bodyFollows: false, requestEnded: false))
            return .beginRequest(request, .forward(interim: interim, bodyFollows: false))
        }
    }

    private mutating func receiveBody(_ buffer: ByteBuffer) -> Action {
        switch self.state {
        case .collecting(var pending):
            // The state lets go of the body first, so that appending to it does not copy it.
            self.state = .idle
            if pending.body == nil {
                pending.body = buffer
            } else {
                pending.body!.writeImmutableBuffer(buffer)
            }
            self.state = .collecting(pending)
            return .recordRequestBody(buffer)
        case .forwarding(var exchange):
            exchange.requestBytes += buffer.readableBytes
            guard exchange.requestBytes <= self.maxBodySize else {
                // Only a chunked body can get here: declared lengths are checked against the head.
                self.state = .closing
                let error = SidecarError.bodyTooLarge(limit: self.maxBodySize)
                guard exchange.responseStatus == nil else {
                    let record = Record(status: exchange.responseStatus, outcome: .rejected(.bodyTooLarge))
                    return .abandon(cancelTransfer: true, record: record, close: true)
                }
                return .answer(
                    Answer(
                        error: error, version: exchange.version, keepAlive: false, cancelTransfer: true, record: .rejected(error),
                        then: .lingering))
            }
            self.state = .forwarding(exchange)
            return .forwardRequestBody(buffer)
        case .idle, .discardingRequestBody, .closing:
            return .none
        }
    }

    private mutating func receiveEnd() -> Action {
        // The collected request is moved out of the state, not copied (a retain of each of its
        // strings) only for the state to be replaced.
        if case .collecting = self.state, case .collecting(let pending) = self.takeState() {
            var request = pending.request
            request.body = .whole(pending.body ?? ByteBuffer())
            self.state = .forwarding(
                Exchange(version: pending.version, keepAlive: pending.keepAlive, bodyFollows: false, requestEnded: true))
            return .startTransfer(request)
        }
        switch self.state {
        case .collecting:
            return .none
        case .forwarding(var exchange):
            exchange.requestEnded = true
            self.state = .forwarding(exchange)
            return .finishRequestBody(stopBodyClock: exchange.bodyFollows)
        case .discardingRequestBody:
            if self.quiescing {
                self.state = .closing
                return .close
            }
            self.state = .idle
            return .requestBodyDiscarded
        case .idle, .closing:
            return .none
        }
    }

    /// The state, moved out and replaced by `.idle`.
    private mutating func takeState() -> State {
        var state = State.idle
        swap(&state, &self.state)
        return state
    }

    /// Where the connection goes once the exchange's answer is complete.
    private mutating func complete(_ exchange: Exchange, keepAlive: Bool) -> Completion {
        self.uploadBufferFull = false
        if !keepAlive || self.quiescing {
            self.state = .closing
            return .close(lingering: !exchange.requestEnded)
        }
        if exchange.requestEnded {
            self.state = .idle
            return .keepAlive
        }
        self.state = .discardingRequestBody
        return .discardRequestBody
    }

    private mutating func pauseReading() -> Action {
        guard !self.readingPaused else { return .none }
        self.readingPaused = true
        return .pauseReading
    }

    private mutating func resumeReadingIfUnblocked() -> Action? {
        guard self.readingPaused, self.pipelined.isEmpty, !self.uploadBufferFull else { return nil }
        if case .closing = self.state { return nil }
        self.readingPaused = false
        return .resumeReading
    }
}

extension ProxyConnectionStateMachine.Record {
    /// The record of a request the sidecar refused with `answer`.
    static func rejected(_ answer: SidecarError) -> Self {
        Self(status: Int(answer.status.code), outcome: .rejected(answer.cause))
    }
}

extension ProxyConnectionStateMachine.Completion {
    /// After a refusal: the client may still be sending what was refused.
    static let lingering = Self.close(lingering: true)
}
