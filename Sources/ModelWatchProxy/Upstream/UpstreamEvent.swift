public import NIOCore

/// What an upstream transfer reports back to the connection that started it, in order.
public enum UpstreamEvent: Sendable {
    /// The backend's final response head, as received (hop-by-hop headers still present).
    case head(UpstreamResponseHead)
    /// Response body bytes, already de-chunked by libcurl and otherwise untouched.
    case body(ByteBuffer)
    /// The response is complete.
    case end
    /// The transfer failed; if a head was already reported, the response is truncated.
    case failure(UpstreamFailure)
    /// The request body buffer drained after `sendBody` asked the caller to stop reading.
    case requestBodyDrained
}
