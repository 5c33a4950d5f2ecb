import CCurl

/// Why an upstream transfer did not complete, classified the way operators reason about it.
public struct UpstreamFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of failure; it names the `modelwatch-error` header and, later, metric labels.
    public enum Kind: String, Sendable, CaseIterable {
        /// The backend could not be reached: refused, unresolvable, unroutable.
        case connect
        /// The backend took longer than the configured connect or total timeout.
        case timeout
        /// The connection broke after it was established.
        case reset
        /// The TLS handshake or certificate check failed.
        case tls
        /// The backend answered with something that is not valid HTTP.
        case `protocol`
        /// Every connection to the backend stayed busy for `upstream.pool_timeout`: the request
        /// was never sent. The backend is saturated (or hung), not unreachable.
        case poolTimeout = "pool_timeout"
    }

    public let kind: Kind
    /// libcurl's own words, for logs and the JSON error body.
    public let detail: String

    public init(kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// The status the sidecar answers with when this failure happens before any response byte.
    public var responseStatus: Int {
        switch self.kind {
        case .timeout: 504
        // Nothing reached the backend: a retry later, or elsewhere, may well succeed.
        case .poolTimeout: 503
        case .connect, .reset, .tls, .protocol: 502
        }
    }

    public var description: String {
        "upstream \(self.kind.rawValue) failure: \(self.detail)"
    }

    init(code: CURLcode, detail: String) {
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        self.init(kind: Self.kind(of: code), detail: message)
    }

    static func kind(of code: CURLcode) -> Kind {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY,
            CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .connect
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
            CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2_STREAM,
            CURLE_READ_ERROR, CURLE_ABORTED_BY_CALLBACK:
            return .reset
        default:
            return .protocol
        }
    }
}
