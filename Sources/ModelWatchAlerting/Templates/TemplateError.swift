/// Why a template did not parse or failed while it ran, worded as Go's `text/template` words it
/// (`template: NAME:1:12: executing "NAME" at <humanize>: …`).
public struct TemplateError: Error, CustomStringConvertible, Sendable {
    /// Parse or execution.
    public struct Code: Hashable, Sendable {
        private enum Base: Hashable, Sendable { case parse, execution }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// The template text is not valid.
        public static let parse = Code(.parse)
        /// Running the template failed (a bad argument to a function, a missing function).
        public static let execution = Code(.execution)
    }

    /// Parse or execution.
    public let code: Code
    /// The message as Prometheus reports it.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}
