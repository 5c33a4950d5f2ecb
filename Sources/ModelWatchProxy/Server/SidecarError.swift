public import NIOCore
public import NIOHTTP1

/// An answer the sidecar gives on its own behalf, never to be confused with the backend's:
/// a JSON body `{"error": "…"}` and a `modelwatch-error` header naming the cause.
public struct SidecarError: Sendable, Equatable {
    public let status: HTTPResponseStatus
    /// Short machine-readable cause, e.g. `upstream-timeout`.
    public let cause: Cause
    /// A sentence for the person reading the response.
    public let message: String

    /// Why the sidecar answered itself; the raw value is the `modelwatch-error` header, a bounded
    /// set a client can switch on.
    public enum Cause: String, Sendable, CaseIterable {
        case upstreamConnect = "upstream-connect"
        case upstreamTimeout = "upstream-timeout"
        case upstreamReset = "upstream-reset"
        case upstreamTLS = "upstream-tls"
        case upstreamProtocol = "upstream-protocol"
        case upstreamPoolTimeout = "upstream-pool-timeout"
        case bodyTooLarge = "body-too-large"
        case malformedRequest = "malformed-request"
        case headTooLarge = "head-too-large"
        case uriTooLong = "uri-too-long"
        case unsupportedTransferCoding = "unsupported-transfer-coding"
        case upgradeNotProxied = "upgrade-not-proxied"
        case connectionLimit = "connection-limit"
        case headerTimeout = "header-timeout"
        /// The client stopped sending a request body the sidecar was forwarding.
        case bodyTimeout = "body-timeout"

        /// The cause of an answer to a backend that failed this way.
        init(upstream kind: UpstreamFailure.Kind) {
            switch kind {
            case .connect: self = .upstreamConnect
            case .timeout: self = .upstreamTimeout
            case .reset: self = .upstreamReset
            case .tls: self = .upstreamTLS
            case .protocol: self = .upstreamProtocol
            case .poolTimeout: self = .upstreamPoolTimeout
            }
        }
    }

    public init(status: HTTPResponseStatus, cause: Cause, message: String) {
        self.status = status
        self.cause = cause
        self.message = message
    }

    /// The header that marks a response as the sidecar's own.
    public static let headerName = "modelwatch-error"

    static func upstream(_ failure: UpstreamFailure) -> SidecarError {
        SidecarError(
            status: HTTPResponseStatus(statusCode: failure.responseStatus),
            cause: Cause(upstream: failure.kind),
            message: failure.description
        )
    }

    static func bodyTooLarge(limit: Int) -> SidecarError {
        SidecarError(
            status: .payloadTooLarge,
            cause: .bodyTooLarge,
            message: "request body exceeds the limit of \(limit) bytes"
        )
    }

    static func malformedRequest(_ reason: String) -> SidecarError {
        SidecarError(status: .badRequest, cause: .malformedRequest, message: reason)
    }

    /// The request line and headers together exceed what the parser holds (431, as nginx answers).
    static let headTooLarge = SidecarError(
        status: .requestHeaderFieldsTooLarge,
        cause: .headTooLarge,
        message: "the request line and headers exceed 80 KiB"
    )

    static let uriTooLong = SidecarError(
        status: .uriTooLong,
        cause: .uriTooLong,
        message: "the request line exceeds \(RequestFraming.requestLineLimit / 1024) KiB"
    )

    static func unsupportedTransferCoding(_ codings: String) -> SidecarError {
        SidecarError(
            status: .notImplemented,
            cause: .unsupportedTransferCoding,
            message: "only the chunked transfer coding is supported; the request used \"\(codings)\""
        )
    }

    /// CONNECT and protocol upgrades: the data port proxies requests, not tunnels.
    static let upgradeRefused = SidecarError(
        status: .notImplemented,
        cause: .upgradeNotProxied,
        message: "CONNECT and protocol upgrades are not proxied"
    )

    static func connectionLimit(_ limit: Int) -> SidecarError {
        SidecarError(
            status: .serviceUnavailable,
            cause: .connectionLimit,
            message: "the sidecar has server.max_connections (\(limit)) connections open; try again"
        )
    }

    static let headerTimeout = SidecarError(
        status: .requestTimeout,
        cause: .headerTimeout,
        message: "the request head did not arrive in time"
    )

    /// A client that stalls in a streamed body is at fault, not the backend waiting for it: a
    /// 408 of the sidecar's, never the backend's `upstream-timeout`.
    static let bodyTimeout = SidecarError(
        status: .requestTimeout,
        cause: .bodyTimeout,
        message: "the request body stopped arriving before it was complete"
    )

    /// The JSON body: `{"error":"<message>"}`.
    public var body: ByteBuffer {
        ByteBuffer(string: "{\"error\":" + JSONString.quoted(self.message) + "}")
    }

    /// Response head for this error, closing the connection when asked to.
    public func head(version: HTTPVersion, keepAlive: Bool) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(self.body.readableBytes))
        headers.add(name: Self.headerName, value: self.cause.rawValue)
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        }
        return HTTPResponseHead(version: version, status: self.status, headers: headers)
    }

    /// The whole response as raw HTTP/1.1 bytes, for handlers that sit below the HTTP codec.
    func serialized() -> ByteBuffer {
        let body = self.body
        var buffer = ByteBuffer()
        buffer.writeString("HTTP/1.1 \(self.status.code) \(self.status.reasonPhrase)\r\n")
        for (name, value) in self.head(version: .http1_1, keepAlive: false).headers {
            buffer.writeString("\(name): \(value)\r\n")
        }
        buffer.writeString("\r\n")
        buffer.writeImmutableBuffer(body)
        return buffer
    }
}

extension ChannelHandlerContext {
    /// Writes `answer` as raw HTTP/1.1 bytes (for handlers below the codec, or with none) and
    /// closes the connection lingering (see `lingeringClose`); the whole connection closes once
    /// the client has closed or after `linger`. The caller drops what the client still sends.
    func answerAndClose(_ answer: SidecarError, linger: TimeAmount = .seconds(2)) {
        self.writeAndFlush(NIOAny(IOData.byteBuffer(answer.serialized())), promise: nil)
        self.lingeringClose()
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.eventLoop.assumeIsolated().scheduleTask(in: linger) { loopBound.value.close(promise: nil) }
    }

    /// Closes the connection the way nginx's lingering close does: the write side once what was
    /// written has gone out, while reading goes on, so that the client's bytes still arriving
    /// are read (the caller drops them) instead of left unread. Closing with unread bytes resets
    /// the connection, and a reset can destroy the answer before the client has read it. The
    /// connection closes entirely when the client closes its side; the caller bounds how long
    /// it waits for that.
    func lingeringClose() {
        self.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.close(mode: .output).assumeIsolated().whenFailure { _ in loopBound.value.close(promise: nil) }
    }
}
