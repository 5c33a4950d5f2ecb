import NIOHTTP1

/// What the sidecar refuses to forward because a backend might frame it differently than the
/// sidecar did (request smuggling), and the words it refuses with.
///
/// NIO's parser already refuses most of RFC 9112's framing faults (several or malformed
/// `Content-Length` values, `Content-Length` with `Transfer-Encoding`, obs-fold, whitespace before
/// a colon); `answer(for:)` turns its errors into answers a user can act on. What the parser lets
/// through, `check(_:)` refuses after the head.
enum RequestFraming {
    /// The longest request line answered with more than a generic error: longer lines get 414,
    /// below NIO's 80 KiB limit on the whole head (which answers 431).
    static let requestLineLimit = 64 << 10

    /// A head the parser accepted but that must not be forwarded, or `nil` when it may be.
    static func check(_ head: HTTPRequestHead) -> SidecarError? {
        let hosts = head.headers["host"]
        if head.version.major == 1, head.version.minor >= 1, hosts.count != 1 {
            // RFC 9112 §3.2: exactly one Host in HTTP/1.1; a proxy must not guess which one counts.
            let found = hosts.isEmpty ? "none" : "\(hosts.count)"
            return .malformedRequest("an HTTP/1.1 request needs exactly one Host header; it had \(found)")
        }
        if hosts.count > 1 || hosts.contains(where: { $0.contains(",") }) {
            return .malformedRequest("a request may carry one Host header with one value")
        }
        let codings = head.headers[canonicalForm: "transfer-encoding"].map { $0.lowercased() }
        if head.method == .HEAD, !codings.isEmpty || head.headers["content-length"].contains(where: { Int($0) != 0 }) {
            // RFC 9110 §9.3.2: content in a HEAD request has no defined meaning and is a
            // smuggling risk. No backend reads it, and its answer has no body to frame, so an
            // answer the sidecar writes while such a body arrives could not be delimited either.
            return .malformedRequest("a HEAD request carries no content")
        }
        guard !codings.isEmpty else { return nil }
        if head.version.major == 1, head.version.minor == 0 {
            // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
            return .malformedRequest("Transfer-Encoding is not allowed in an HTTP/1.0 request")
        }
        if codings != ["chunked"] {
            // The parser reads the body as chunked; forwarding it without the other codings
            // would change what the backend receives.
            return .unsupportedTransferCoding(codings.joined(separator: ", "))
        }
        return nil
    }

    /// The answer to a request NIO's parser refused.
    static func answer(for error: HTTPParserError) -> SidecarError {
        switch error {
        case .headerOverflow:
            return .headTooLarge
        case .invalidMethod:
            return .malformedRequest("not an HTTP request: the request line does not start with a method")
        case .invalidURL, .invalidHost, .invalidPort, .invalidPath, .invalidQueryString, .invalidFragment:
            return .malformedRequest("the request target is not a valid path")
        case .invalidVersion:
            return .malformedRequest("the request line does not end with a valid HTTP version")
        case .invalidContentLength:
            return .malformedRequest("Content-Length is not a single decimal number")
        case .unexpectedContentLength:
            return .malformedRequest("Content-Length appears more than once, or together with Transfer-Encoding")
        case .invalidChunkSize:
            return .malformedRequest("the chunked body has an invalid chunk size")
        case .invalidHeaderToken, .invalidConstant, .lfExpected, .strictModeAssertion:
            return .malformedRequest(
                "a header line is malformed (an invalid character, a folded line, whitespace before the colon, or a bare line feed)")
        case .paused:
            return .upgradeRefused
        case .unknown:
            // What llhttp reports for Transfer-Encoding other than a final `chunked` and for
            // Content-Length beside Transfer-Encoding.
            return .malformedRequest(
                "the body's framing is ambiguous: Transfer-Encoding must be chunked alone, without Content-Length")
        default:
            return .malformedRequest("malformed HTTP request (\(error))")
        }
    }
}
