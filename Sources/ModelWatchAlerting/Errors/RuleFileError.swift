/// Why a rule file or a rule test file was refused: which file, which line, and why.
///
/// Written as `FILE:LINE: REASON`, the way `modelwatch check` and `promtool check rules` point at
/// the place to fix; a PromQL error keeps its own position inside the expression.
public struct RuleFileError: Error, CustomStringConvertible, Sendable {
    /// What kind of problem, for callers that act on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case unreadable, syntax, invalid, expression, template
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The file could not be read.
        public static let unreadable = Code(.unreadable)
        /// The file is not YAML, or not the shape of a rule or test file.
        public static let syntax = Code(.syntax)
        /// A value breaks a rule of the format (a missing name, a bad duration, a bad label).
        public static let invalid = Code(.invalid)
        /// A rule's PromQL does not parse or is not supported.
        public static let expression = Code(.expression)
        /// A label or annotation template does not parse.
        public static let template = Code(.template)

        public var description: String {
            switch self.base {
            case .unreadable: "unreadable"
            case .syntax: "syntax"
            case .invalid: "invalid"
            case .expression: "expression"
            case .template: "template"
            }
        }
    }

    /// What kind of problem.
    public let code: Code
    /// The file refused.
    public let path: String
    /// 1-based line in the file, when known.
    public let line: Int?
    /// Why, in words.
    public let reason: String
    /// Where in ModelWatch the error was raised.
    public let file: String
    /// Line in ModelWatch where the error was raised.
    public let sourceLine: Int

    /// An error at a line of a file.
    public init(_ code: Code, path: String, line: Int?, _ reason: String, file: String = #fileID, sourceLine: Int = #line) {
        self.code = code
        self.path = path
        self.line = line
        self.reason = reason
        self.file = file
        self.sourceLine = sourceLine
    }

    public var description: String {
        if let line = self.line { return "\(self.path):\(line): \(self.reason)" }
        return "\(self.path): \(self.reason)"
    }
}
