import CSQLite

/// One prepared statement, owning its `sqlite3_stmt` handle.
///
/// Parameters are numbered from 1 and columns from 0, as in SQLite's C API.
final class SQLiteStatement {
    private let handle: OpaquePointer
    /// Keeps the connection open while the statement lives: SQLite requires statements to be
    /// finalised before their connection closes.
    private let connection: SQLiteConnection

    init(_ handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(self.handle)
    }

    func bind(_ value: Int64, at index: Int32) {
        sqlite3_bind_int64(self.handle, index, value)
    }

    func bind(_ value: Double, at index: Int32) {
        sqlite3_bind_double(self.handle, index, value)
    }

    func bind(_ value: String, at index: Int32) {
        sqlite3_bind_text(self.handle, index, value, -1, mw_sqlite_transient())
    }

    func bind(_ bytes: UnsafeRawBufferPointer, at index: Int32) {
        sqlite3_bind_blob(self.handle, index, bytes.baseAddress, Int32(bytes.count), mw_sqlite_transient())
    }

    /// Advances to the next row.
    /// - Returns: `true` while there is a row to read, `false` once the statement is done.
    @discardableResult
    func step() throws(StoreError) -> Bool {
        let result = sqlite3_step(self.handle)
        switch result {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            sqlite3_reset(self.handle)
            throw self.connection.error(result, "statement failed")
        }
    }

    /// Makes the statement ready to run again; bindings stay until rebound.
    func reset() {
        sqlite3_reset(self.handle)
    }

    func int64(at column: Int32) -> Int64 {
        sqlite3_column_int64(self.handle, column)
    }

    func double(at column: Int32) -> Double {
        sqlite3_column_double(self.handle, column)
    }

    func isNull(at column: Int32) -> Bool {
        sqlite3_column_type(self.handle, column) == SQLITE_NULL
    }

    func string(at column: Int32) -> String {
        guard let text = sqlite3_column_text(self.handle, column) else { return "" }
        return String(cString: text)
    }

    /// The column's bytes, valid only until the next `step` or `reset`.
    func withBlob<Result>(at column: Int32, _ body: (UnsafeRawBufferPointer) throws(StoreError) -> Result) throws(StoreError) -> Result {
        let count = Int(sqlite3_column_bytes(self.handle, column))
        guard let base = sqlite3_column_blob(self.handle, column) else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base, count: count))
    }
}

extension SQLiteStatement {
    /// A sample value: SQLite stores NaN as NULL, so NULL reads back as NaN.
    func value(at column: Int32) -> Double {
        self.isNull(at: column) ? .nan : self.double(at: column)
    }
}
