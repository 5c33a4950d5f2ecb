public import NIOCore

/// One request as it goes to the backend: already stripped of hop-by-hop headers.
public struct UpstreamRequest: Sendable {
    /// How the request body reaches libcurl.
    public enum Body: Sendable, Equatable {
        /// No body and no `Content-Length`.
        case none
        /// A body of known length, streamed as it arrives.
        case length(Int64)
        /// A body of unknown length (the client sent it chunked); it goes up chunked.
        case chunked
        /// A small body that arrived in full before the transfer started: libcurl sends it
        /// together with the head, in one write.
        case whole(ByteBuffer)
    }

    /// The method, sent exactly as the client spelled it.
    public var method: String
    /// Origin-form target (path and query), appended to the upstream's path prefix.
    public var target: String
    /// End-to-end headers in the client's order, repeated names kept.
    public var headers: [(name: String, value: String)]
    public var body: Body

    public init(method: String, target: String, headers: [(name: String, value: String)], body: Body) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}
