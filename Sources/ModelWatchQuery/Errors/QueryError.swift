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

    /// What went wrong, for callers to act on.
    public let code: Code
    /// What happened, without the position.
    public let message: String
    /// Where in the expression, for parse errors.
    public let position: SourcePosition?
    /// Where in ModelWatch the error was raised.
    public let file: String
    /// Line in ModelWatch where the error was raised.
    public let line: Int

    /// Creates an error; parse errors carry the position.
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
    /// 1-based line in the expression.
    public let line: Int
    /// 1-based column, counted in bytes.
    public let column: Int

    /// A position from its offset, line and column.
    public init(offset: Int, line: Int, column: Int) {
        self.offset = offset
        self.line = line
        self.column = column
    }

    public var description: String { "\(self.line):\(self.column)" }
}
