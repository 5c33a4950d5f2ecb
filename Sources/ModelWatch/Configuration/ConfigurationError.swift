/// A configuration that cannot be used, located as precisely as the source allows.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file, or the flag (`--upstream`) the value came from.
    public let source: String
    /// 1-based line in the file, when the value came from one.
    public let line: Int?
    /// Dotted key, e.g. `upstream.timeout`.
    public let key: String?
    public let message: String

    public init(source: String, line: Int?, key: String?, message: String) {
        self.source = source
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        var location = self.source
        if let line = self.line {
            location += ":\(line)"
        }
        if let key = self.key {
            return "\(location): \(key): \(self.message)"
        }
        return "\(location): \(self.message)"
    }
}
