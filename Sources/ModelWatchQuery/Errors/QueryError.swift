/// Why a PromQL expression could not be parsed or evaluated.
///
/// Parse errors carry the line and column where the expression went wrong, written as Prometheus
/// writes them (`1:16: parse error: unexpected …`); evaluation errors say which limit or rule the
/// query broke.
public struct QueryError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in terms a caller can act on (the HTTP API maps these to `errorType`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case parse, execution, timeout, tooManySamples, canceled, storage
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The expression does not parse, or breaks a typing rule (Prometheus's `bad_data`).
        public static let parse = Code(.parse)
        /// The expression parsed but failed while running, e.g. a many-to-many match.
        public static let execution = Code(.execution)
        /// The query ran longer than its timeout.
        public static let timeout = Code(.timeout)
        /// The query would have held more samples in memory than its limit.
        public static let tooManySamples = Code(.tooManySamples)
        /// The task running the query was cancelled.
        public static let canceled = Code(.canceled)
        /// The series source (the store) failed.
        public static let storage = Code(.storage)

        public var description: String {
            switch self.base {
            case .parse: "bad_data"
            case .execution: "execution"
            case .timeout: "timeout"
            case .tooManySamples: "too_many_samples"
            case .canceled: "canceled"
            case .storage: "internal"
            }
        }
    }

    public let code: Code
    /// What happened, without the position.
    public let message: String
    /// Where in the expression, for parse errors.
    public let position: SourcePosition?
    public let file: String
    public let line: Int

    public init(
        _ code: Code, _ message: String, at position: SourcePosition? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.position = position
        self.file = file
        self.line = line
    }

    /// As Prometheus words it: `1:16: parse error: unexpected …` or the bare execution message.
    public var description: String {
        if let position = self.position {
            return "\(position.line):\(position.column): parse error: \(self.message)"
        }
        if self.code == .parse { return "parse error: \(self.message)" }
        return self.message
    }
}

/// A place in the text of an expression: a 1-based line and column, and the byte offset.
public struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
    /// Offset in UTF-8 bytes from the start of the expression.
    public let offset: Int
    public let line: Int
    public let column: Int

    public init(offset: Int, line: Int, column: Int) {
        self.offset = offset
        self.line = line
        self.column = column
    }

    public var description: String { "\(self.line):\(self.column)" }
}
