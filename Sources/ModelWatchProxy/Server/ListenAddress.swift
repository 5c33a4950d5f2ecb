/// A `host:port` to listen on: `127.0.0.1:9464`, `[::1]:8080`, `0.0.0.0:8080` or `:8080` (all IPv4 interfaces).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// Why a listen address was refused.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// - Throws: `ParseError` for a missing or out-of-range port.
    public init(parsing text: String) throws(ParseError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw ParseError(description: "expected host:port, got \"\(text)\"")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ParseError(description: "invalid port in \"\(text)\"")
        }
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }

    public var description: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }
}
