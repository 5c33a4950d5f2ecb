public import NIOCore

/// Everything the proxy saw of one exchange, handed to the analysis pipeline when it ends.
///
/// Bodies are the buffers that went through the proxy, kept by reference rather than copied;
/// timings are measured on the event loop (client side) and by libcurl (backend side).
public struct ExchangeObservation: Sendable {
    /// How the exchange ended.
    public enum Outcome: Sendable, Equatable {
        /// The backend's response reached the client in full.
        case completed
        /// The backend failed; the client got the sidecar's error or, after the head, a truncated body.
        case upstreamFailed(UpstreamFailure)
        /// The sidecar refused the request itself (`modelwatch-error` names the cause).
        case rejected(SidecarError.Cause)
        /// The client went away before the response was complete.
        case clientClosed
    }

    /// When a chunk of the response body arrived, for timing streamed answers (SSE).
    public struct BodyArrival: Sendable, Equatable {
        /// Body bytes received up to and including this chunk.
        public var endOffset: Int
        /// Time since the request head arrived.
        public var elapsed: Duration

        public init(endOffset: Int, elapsed: Duration) {
            self.endOffset = endOffset
            self.elapsed = elapsed
        }
    }

    /// The tag `ExchangeObserver.exchangeBegan` returned.
    public var tag: Int
    public var method: String
    public var target: String
    /// The request headers as forwarded.
    public var requestHeaders: [(name: String, value: String)]
    public var requestBody: CapturedBody
    /// The status the client received; `nil` when it received none.
    public var status: Int?
    /// The backend's response head, when one arrived.
    public var responseHead: UpstreamResponseHead?
    public var responseBody: CapturedBody
    public var outcome: Outcome
    /// From the request head arriving to the response's last byte handed to the client socket.
    public var duration: Duration
    /// libcurl's timings, when the backend's response was complete.
    public var upstream: UpstreamTimings?
    /// Arrival of every response chunk, recorded only for `text/event-stream` responses.
    public var arrivals: [BodyArrival]
    /// Bytes reserved with `ExchangeObserver.reserveCapture` for this exchange, to be given back
    /// once the observation has been analysed or dropped.
    public var reservedBytes = 0

    public init(
        tag: Int,
        method: String,
        target: String,
        requestHeaders: [(name: String, value: String)] = [],
        requestBody: CapturedBody = CapturedBody(),
        status: Int? = nil,
        responseHead: UpstreamResponseHead? = nil,
        responseBody: CapturedBody = CapturedBody(),
        outcome: Outcome = .completed,
        duration: Duration = .zero,
        upstream: UpstreamTimings? = nil,
        arrivals: [BodyArrival] = []
    ) {
        self.tag = tag
        self.method = method
        self.target = target
        self.requestHeaders = requestHeaders
        self.requestBody = requestBody
        self.status = status
        self.responseHead = responseHead
        self.responseBody = responseBody
        self.outcome = outcome
        self.duration = duration
        self.upstream = upstream
        self.arrivals = arrivals
    }
}

/// One body as it passed through: its size, and its bytes when they were worth keeping.
public struct CapturedBody: Sendable {
    /// The buffers as they went through; empty when the body was not kept.
    public private(set) var parts: [ByteBuffer] = []
    /// Bytes that went through, kept or not.
    public private(set) var byteCount = 0
    /// Bytes held in `parts`.
    public private(set) var keptBytes = 0
    /// `false` once part of the body went through without being kept.
    public private(set) var isComplete = true

    public init() {}

    /// Builds a body from bytes at hand (tests, benchmarks).
    public init(_ bytes: some Sequence<UInt8>) {
        let buffer = ByteBuffer(bytes: bytes)
        self.parts = [buffer]
        self.byteCount = buffer.readableBytes
        self.keptBytes = buffer.readableBytes
    }

    /// Keeps `buffer` when `keep` allows it, and counts it either way; once one buffer is not
    /// kept, none of the body is.
    mutating func append(_ buffer: ByteBuffer, keep: Bool) {
        self.byteCount += buffer.readableBytes
        if keep && self.isComplete {
            self.parts.append(buffer)
            self.keptBytes += buffer.readableBytes
        } else {
            // A partial body is of no use to a decoder: let go of what was kept.
            self.parts = []
            self.keptBytes = 0
            self.isComplete = false
        }
    }

    /// The kept bytes in one array, for decoding.
    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(self.keptBytes)
        for part in self.parts {
            part.withUnsafeReadableBytes { result.append(contentsOf: $0) }
        }
        return result
    }
}
