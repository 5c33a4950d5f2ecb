public import NIOHTTP1

/// Which headers cross the proxy, per RFC 9110 §7.6.1, and what the proxy adds.
public enum HeaderPolicy {
    /// Turns a client's request head into the request sent to the backend.
    ///
    /// Hop-by-hop headers and those the `Connection` header names are dropped; `Host` becomes the
    /// backend's (libcurl writes it from the upstream URL) and the client's goes on as
    /// `X-Forwarded-Host`; `Content-Length` and `Expect` are rewritten by the transfer; the client
    /// address is appended to `X-Forwarded-For`, and `X-Forwarded-Proto` is set unless present.
    public static func upstreamRequest(for head: HTTPRequestHead, clientAddress: String?) -> UpstreamRequest {
        let listed = Self.connectionOptions(head.headers)
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(head.headers.count + 3)
        var forwardedFor: [String] = []
        var host: String?
        var sawForwardedProto = false
        var sawForwardedHost = false
        for (name, value) in head.headers {
            if name.isHeaderName("host") {
                host = value
                continue
            }
            if name.isHeaderName("content-length") || name.isHeaderName("expect") {
                continue
            }
            if name.isHeaderName("x-forwarded-for") {
                forwardedFor.append(value)
                continue
            }
            if name.isHeaderName("x-forwarded-proto") {
                sawForwardedProto = true
            } else if name.isHeaderName("x-forwarded-host") {
                sawForwardedHost = true
            } else if Self.isConnectionSpecific(name, listed: listed) {
                continue
            }
            headers.append((name, value))
        }
        if let clientAddress {
            forwardedFor.append(clientAddress)
        }
        if !forwardedFor.isEmpty {
            headers.append(("X-Forwarded-For", forwardedFor.joined(separator: ", ")))
        }
        if !sawForwardedProto {
            headers.append(("X-Forwarded-Proto", "http"))
        }
        if !sawForwardedHost, let host {
            headers.append(("X-Forwarded-Host", host))
        }
        return UpstreamRequest(method: head.method.rawValue, target: head.uri, headers: headers, body: Self.body(of: head))
    }

    /// The backend's response headers as the client should see them; `nil` when one of them
    /// cannot be sent on (`isValidToSend`), and the answer must not reach the client at all.
    public static func clientResponseHeaders(_ received: [(name: String, value: String)]) -> HTTPHeaders? {
        Self.clientResponseHeaders(capacity: received.count) { body in
            for (name, value) in received { body(name, value) }
        }
    }

    /// `clientResponseHeaders(_:)` straight from the backend's field lines, without the array of
    /// fields between them.
    static func clientResponseHeaders(_ received: UpstreamResponseHead) -> HTTPHeaders? {
        Self.clientResponseHeaders(capacity: received.fieldLineCount) { body in received.forEachField(body) }
    }

    private static func clientResponseHeaders(
        capacity: Int, _ forEachField: ((consuming String, consuming String) -> Void) -> Void
    ) -> HTTPHeaders? {
        var listed: Set<String> = []
        var headers = HTTPHeaders()
        headers.reserveCapacity(capacity)
        var valid = true
        forEachField { name, value in
            guard valid else { return }
            if name.isHeaderName("connection") {
                // `keep-alive`, what most backends send, names a header dropped anyway: no set.
                if !value.isHeaderName("keep-alive") {
                    Self.addTokens(of: value, to: &listed)
                }
            } else if !Self.isHopByHop(name) {
                valid = Self.isValidToSend(name: name, value: value)
                headers.add(name: name, value: value)
            }
        }
        guard valid else { return nil }
        // Fields the Connection header names describe the connection too, wherever they stood.
        for name in listed {
            headers.remove(name: name)
        }
        return headers
    }

    /// Whether a field may be written to the client as it is (RFC 9110 §5.1, §5.5): its name a
    /// token, its value free of control characters but HTAB. A CR, LF or NUL would let a backend
    /// split the answer or smuggle another one; the others are refused as NIO's outbound validator
    /// refuses them. Checked here, where the client's headers are built, instead of by that
    /// validator, which walked every header of every answer once more in a handler of its own.
    static func isValidToSend(name: String, value: String) -> Bool {
        !name.isEmpty && Self.all(of: name, Self.isTokenByte) && Self.all(of: value, Self.isFieldValueByte)
    }

    /// Whether every byte of `string` passes `test`: over its contiguous bytes when it has them
    /// (walking the UTF-8 view index by index cost more than the test).
    private static func all(of string: String, _ test: (UInt8) -> Bool) -> Bool {
        string.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(test) } ?? string.utf8.allSatisfy(test)
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static func isFieldValueByte(_ byte: UInt8) -> Bool {
        (byte >= 0x20 && byte != 0x7F) || byte == UInt8(ascii: "\t")
    }

    /// How the request body will arrive: its declared length, chunked, or none.
    static func body(of head: HTTPRequestHead) -> UpstreamRequest.Body {
        if let length = head.headers.first(name: "content-length").flatMap({ Int64($0) }) {
            return .length(length)
        }
        let codings = head.headers[canonicalForm: "transfer-encoding"]
        if codings.contains(where: { $0.isHeaderName("chunked") }) {
            return .chunked
        }
        return .none
    }

    /// A hop-by-hop header, or one the message's `Connection` header lists.
    private static func isConnectionSpecific(_ name: String, listed: Set<String>) -> Bool {
        Self.isHopByHop(name) || (!listed.isEmpty && listed.contains(name.lowercased()))
    }

    /// Whether `name` is a header that describes one connection, never the message (connection,
    /// proxy-connection, keep-alive, te, transfer-encoding, upgrade). By length first and against
    /// literals, which are never retained: walking a static array of the names retained each of
    /// them for every header of every request and answer.
    private static func isHopByHop(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2: name.isHeaderName("te")
        case 7: name.isHeaderName("upgrade")
        case 10: name.isHeaderName("connection") || name.isHeaderName("keep-alive")
        case 16: name.isHeaderName("proxy-connection")
        case 17: name.isHeaderName("transfer-encoding")
        default: false
        }
    }

    private static func connectionOptions(_ headers: HTTPHeaders) -> Set<String> {
        var listed: Set<String> = []
        for value in headers["connection"] {
            Self.addTokens(of: value, to: &listed)
        }
        return listed
    }

    private static func addTokens(of value: String, to set: inout Set<String>) {
        for token in value.split(separator: ",") {
            let trimmed = token.trimmingWhitespace().lowercased()
            if !trimmed.isEmpty {
                set.insert(trimmed)
            }
        }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
