/// Why the store could not do what it was asked.
///
/// The code tells callers what they can do about it: a `full` or `readOnly` store pauses
/// recording until space or permission returns, a `locked` one means another process owns the
/// file, `corrupt` needs a person.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in terms a caller can act on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case cannotOpen, locked, readOnly, full, corrupt, io, schemaTooNew, invalidSelector, other
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The file or its folder could not be opened or created.
        public static let cannotOpen = Code(.cannotOpen)
        /// Another process holds the file (another ModelWatch, or a writer in the `sqlite3` shell).
        public static let locked = Code(.locked)
        /// The file, its folder or its file system refuses writes.
        public static let readOnly = Code(.readOnly)
        /// The disk (or a file size limit) is full.
        public static let full = Code(.full)
        /// The file is not a database or its pages are damaged.
        public static let corrupt = Code(.corrupt)
        /// Any other failure of the operating system to read or write.
        public static let io = Code(.io)
        /// The file was written by a newer ModelWatch whose schema this one does not know.
        public static let schemaTooNew = Code(.schemaTooNew)
        /// A series selector that does not parse, or a regular expression that does not compile.
        public static let invalidSelector = Code(.invalidSelector)
        /// Anything else SQLite reported.
        public static let other = Code(.other)

        public var description: String {
            switch self.base {
            case .cannotOpen: "cannot_open"
            case .locked: "locked"
            case .readOnly: "read_only"
            case .full: "full"
            case .corrupt: "corrupt"
            case .io: "io"
            case .schemaTooNew: "schema_too_new"
            case .invalidSelector: "invalid_selector"
            case .other: "other"
            }
        }
    }

    public let code: Code
    /// What happened, with the file and SQLite's own message where there is one.
    public let message: String
    /// SQLite's extended result code, when SQLite reported the error.
    public let sqliteCode: Int32?
    public let file: String
    public let line: Int

    init(_ code: Code, _ message: String, sqliteCode: Int32? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.sqliteCode = sqliteCode
        self.file = file
        self.line = line
    }

    public var description: String { self.message }
}
