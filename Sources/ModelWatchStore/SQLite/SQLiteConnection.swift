import CSQLite

/// One connection to a SQLite file, owning its `sqlite3` handle.
///
/// Not thread-safe on purpose: the store keeps each connection behind a lock and uses it from one
/// thread at a time, so SQLite can run without its own mutexes.
final class SQLiteConnection {
    private let handle: OpaquePointer
    let path: String
    /// Released only after the handle is closed (stored properties go after `deinit` runs).
    var writerLock: WriterLock?

    /// Opens (and with `create`, creates) the file.
    /// - Throws: `StoreError` with `cannotOpen`, `readOnly` or `corrupt`.
    init(path: String, readOnly: Bool, create: Bool) throws(StoreError) {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        if readOnly {
            flags |= SQLITE_OPEN_READONLY
        } else {
            flags |= SQLITE_OPEN_READWRITE
            if create { flags |= SQLITE_OPEN_CREATE }
        }
        var handle: OpaquePointer?
        let result = sqlite3_open_v2(path, &handle, flags, nil)
        guard let handle else {
            throw StoreError(.cannotOpen, "cannot open \(path): SQLite could not allocate a connection", sqliteCode: result)
        }
        self.handle = handle
        self.path = path
        guard result == SQLITE_OK else {
            let error = self.error(result, "cannot open \(path)")
            sqlite3_close_v2(handle)
            throw error.code == .other ? StoreError(.cannotOpen, error.message, sqliteCode: result) : error
        }
    }

    deinit {
        sqlite3_close_v2(self.handle)
    }

    /// Heap bytes the connection's page cache holds now (`SQLITE_DBSTATUS_CACHE_USED`).
    var pageCacheBytes: Int {
        var current: Int32 = 0
        var highest: Int32 = 0
        sqlite3_db_status(self.handle, SQLITE_DBSTATUS_CACHE_USED, &current, &highest, 0)
        return Int(current)
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(self.handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard result == SQLITE_OK else { throw self.error(result, "`\(sql.prefix(60))` failed") }
    }

    /// Compiles one statement; prepared statements are kept by their users and reused.
    func prepare(_ sql: String, persistent: Bool = true) throws(StoreError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let result = sqlite3_prepare_v3(self.handle, sql, -1, flags, &statement, nil)
        guard result == SQLITE_OK, let statement else { throw self.error(result, "cannot prepare `\(sql.prefix(60))`") }
        return SQLiteStatement(statement, connection: self)
    }

    /// Runs `body` inside one transaction, committing when it returns and rolling back when it throws.
    /// `BEGIN IMMEDIATE` takes the write lock up front, so a busy file fails here, not half way.
    func transaction<Result>(_ body: () throws(StoreError) -> Result) throws(StoreError) -> Result {
        try self.execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try self.execute("COMMIT")
            return result
        } catch {
            // A failed COMMIT (disk full) may leave the transaction open; close it either way.
            if sqlite3_get_autocommit(self.handle) == 0 { _ = try? self.execute("ROLLBACK") }
            throw error
        }
    }

    /// The single integer a pragma or aggregate query answers.
    func integer(_ sql: String) throws(StoreError) -> Int64 {
        let statement = try self.prepare(sql, persistent: false)
        guard try statement.step() else { return 0 }
        return statement.int64(at: 0)
    }

    /// How long a statement waits for another connection's lock before failing with `locked`.
    func setBusyTimeout(_ duration: Duration) {
        sqlite3_busy_timeout(
            self.handle, Int32(clamping: duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000))
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(self.handle)) }

    /// The error for a result code, classified by what a caller can do about it.
    func error(_ result: Int32, _ context: String, file: String = #fileID, line: Int = #line) -> StoreError {
        let detail = String(cString: sqlite3_errmsg(self.handle))
        return StoreError(Self.classify(result), "\(context): \(detail)", sqliteCode: result, file: file, line: line)
    }

    static func classify(_ result: Int32) -> StoreError.Code {
        switch result & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED: .locked
        case SQLITE_READONLY, SQLITE_PERM: .readOnly
        case SQLITE_FULL: .full
        case SQLITE_CORRUPT, SQLITE_NOTADB: .corrupt
        case SQLITE_IOERR: .io
        case SQLITE_CANTOPEN: .cannotOpen
        default: .other
        }
    }
}
