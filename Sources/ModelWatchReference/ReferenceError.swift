/// Why a reference model could not be read, loaded or run.
public struct ReferenceError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; callers branch on it, people read ``ReferenceError/detail``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case unreadable, malformed, unsupportedOperator, unsupportedOpset, unsupportedType
            case externalData, invalidGraph, invalidInput, executionFailed
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The file could not be read.
        public static let unreadable = Code(.unreadable)
        /// The bytes are not a well-formed ONNX protobuf message (truncated, bad wire type, too deep).
        public static let malformed = Code(.malformed)
        /// A node uses an operator (or an attribute form of it) this interpreter does not implement.
        public static let unsupportedOperator = Code(.unsupportedOperator)
        /// The model imports an operator-set domain or version this interpreter does not know.
        public static let unsupportedOpset = Code(.unsupportedOpset)
        /// A tensor, input or output has an element type or value kind this interpreter does not support.
        public static let unsupportedType = Code(.unsupportedType)
        /// A tensor keeps its data in an external file, which a reference model may not do.
        public static let externalData = Code(.externalData)
        /// The graph is inconsistent: a cycle, an undefined input, a missing output, a bad attribute.
        public static let invalidGraph = Code(.invalidGraph)
        /// An input given at run time is missing or has the wrong type or shape.
        public static let invalidInput = Code(.invalidInput)
        /// A node failed at run time (shapes that do not fit, an index out of range).
        public static let executionFailed = Code(.executionFailed)

        public var description: String { self.value.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, naming the node, input or field concerned.
    public let detail: String
    /// The source file that raised the error.
    public let file: String
    /// The source line that raised the error.
    public let line: Int

    /// Creates an error.
    public init(_ code: Code, _ detail: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.detail = detail
        self.file = file
        self.line = line
    }

    public var description: String { "\(self.code): \(self.detail)" }

    /// The same error with its detail prefixed by where it happened (a node, a field).
    func within(_ context: String) -> ReferenceError {
        ReferenceError(self.code, "\(context): \(self.detail)", file: self.file, line: self.line)
    }
}
