/// Why a baseline could not be built, read or used.
public struct BaselineError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case unreadable, invalid, noData, badInput
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The file could not be read.
        public static let unreadable = Code(.unreadable)
        /// The file is not a valid baseline.
        public static let invalid = Code(.invalid)
        /// The reference data has no usable values for a feature.
        public static let noData = Code(.noData)
        /// The reference data file is malformed (a ragged CSV row, a line that is not JSON).
        public static let badInput = Code(.badInput)

        public var description: String { self.value.rawValue }
    }

    public let code: Code
    /// What went wrong, with the file, line or feature it concerns.
    public let detail: String
    public let file: String
    public let line: Int

    public init(_ code: Code, _ detail: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.detail = detail
        self.file = file
        self.line = line
    }

    public var description: String { self.detail }
}
