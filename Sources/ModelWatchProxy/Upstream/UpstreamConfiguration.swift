/// How the sidecar reaches and treats its backend.
public struct UpstreamConfiguration: Sendable {
    public var url: UpstreamURL
    /// Time allowed to open a TCP (and TLS) connection to the backend.
    public var connectTimeout: Duration
    /// Time allowed for a whole exchange, streamed responses included; `nil` means no limit.
    public var timeout: Duration?
    /// Most connections held open to the backend; further requests queue for a free one.
    public var maxConnections: Int
    /// Longest a request waits for one of `maxConnections` to come free before it is answered
    /// 503 `upstream-pool-timeout` without reaching the backend; the total timeout, when
    /// shorter, bounds the wait instead.
    public var poolTimeout: Duration
    /// CA bundle for verifying an `https` backend; the system bundle when `nil`.
    public var caFile: String?

    public init(
        url: UpstreamURL,
        connectTimeout: Duration = .seconds(5),
        timeout: Duration? = .seconds(60),
        maxConnections: Int = 128,
        poolTimeout: Duration = .seconds(5),
        caFile: String? = nil
    ) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxConnections = maxConnections
        self.poolTimeout = poolTimeout
        self.caFile = caFile
    }

    /// The limits on waiting for the backend, as `modelwatch check` reports them, so that an
    /// operator sees the defaults that apply as well as what was set.
    public var limitsSummary: String {
        let total = self.timeout.map(\.configurationText) ?? "0 (none)"
        return "max_connections \(self.maxConnections), pool_timeout \(self.poolTimeout.configurationText), "
            + "connect_timeout \(self.connectTimeout.configurationText), timeout \(total)"
    }
}

/// The backend's base URL, split into the origin libcurl connects to and a path prefix that is
/// put in front of every forwarded request target.
public struct UpstreamURL: Sendable, Equatable, CustomStringConvertible {
    /// Why an upstream URL was refused.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public let scheme: String
    /// Host as written in the URL (IPv6 literals keep their brackets).
    public let host: String
    public let port: Int
    /// Path prefix without a trailing slash; empty for a URL with no path.
    public let pathPrefix: String

    /// `scheme://host:port`, what libcurl connects to.
    public var origin: String { "\(self.scheme)://\(self.host):\(self.port)" }

    public var description: String { self.origin + self.pathPrefix }

    public init(scheme: String, host: String, port: Int, pathPrefix: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathPrefix = pathPrefix
    }

    /// Parses `http[s]://host[:port][/prefix]`.
    /// - Throws: `ParseError` naming what is wrong.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw ParseError(description: "expected a URL such as http://127.0.0.1:8501, got \"\(text)\"")
        }
        let scheme = parts[0].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw ParseError(description: "the scheme must be http or https, got \"\(scheme)\"")
        }
        let rest = parts[1]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        guard !path.contains("?"), !path.contains("#") else {
            throw ParseError(description: "the URL may not carry a query or fragment: \"\(text)\"")
        }
        while path.hasSuffix("/") { path.removeLast() }
        guard !authority.isEmpty, !authority.contains("@") else {
            throw ParseError(description: "the URL needs a host (and no credentials): \"\(text)\"")
        }
        let host: Substring
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw ParseError(description: "unclosed IPv6 literal in \"\(text)\"")
            }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            portText = after.hasPrefix(":") ? after.dropFirst() : (after.isEmpty ? nil : after)
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
            portText = nil
        }
        let port: Int
        if let portText {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else {
                throw ParseError(description: "invalid port \"\(portText)\" in \"\(text)\"")
            }
            port = parsed
        } else {
            port = scheme == "https" ? 443 : 80
        }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.pathPrefix = path
    }
}

extension Duration {
    /// `1.5s`, `5s`, `250ms`: the duration as an operator writes it in the configuration.
    var configurationText: String {
        let milliseconds = self.roundedUpMilliseconds
        guard milliseconds >= 1000 else { return "\(milliseconds)ms" }
        let tenths = (milliseconds + 50) / 100
        return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
    }

    /// Whole milliseconds, rounded up so that a tiny positive timeout never becomes "no timeout".
    var roundedUpMilliseconds: Int {
        let (seconds, attoseconds) = self.components
        let fraction = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(seconds) * 1000 + Int(fraction)
    }
}
