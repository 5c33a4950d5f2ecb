public import NIOCore

/// What an upstream transfer reports back to the connection that started it, in order.
public enum UpstreamEvent: Sendable {
    /// The backend's final response head, as received (hop-by-hop headers still present).
    case head(UpstreamResponseHead)
    /// Response body bytes, already de-chunked by libcurl and otherwise untouched.
    case body(ByteBuffer)
    /// The response is complete; libcurl's timings say how long the backend's side took.
    case end(UpstreamTimings)
    /// The transfer failed; if a head was already reported, the response is truncated.
    case failure(UpstreamFailure)
    /// The request body buffer drained after `sendBody` asked the caller to stop reading.
    case requestBodyDrained

    /// Nothing follows this event: the transfer is over.
    var endsTransfer: Bool {
        switch self {
        case .end, .failure: true
        case .head, .body, .requestBodyDrained: false
        }
    }
}

/// How long an exchange took as libcurl measured it, from the moment it
/// took the transfer on: what the backend (and the network to it) cost, without the sidecar's hops.
public struct UpstreamTimings: Sendable, Equatable {
    /// Until the first response byte arrived.
    public var firstByte: Duration
    /// Until the last response byte arrived.
    public var total: Duration

    public init(firstByte: Duration, total: Duration) {
        self.firstByte = firstByte
        self.total = total
    }
}
