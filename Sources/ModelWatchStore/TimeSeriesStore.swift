import Synchronization

/// The SQLite time-series: series identified by metric name and sorted labels, samples of
/// (series, milliseconds, value), kept for the configured retention in one file.
///
/// Every method blocks on SQLite, so callers run them on a thread of their own, never on an event
/// loop or Swift's cooperative pool. Writing goes through one connection and reading through
/// another: WAL mode lets queries read the last committed state while a write is under way.
public final class TimeSeriesStore: Sendable {
    /// The database file.
    public let path: String
    private let writer: Mutex<StoreWriter?>
    private let reader: Mutex<StoreReader>

    /// Opens the file for recording, creating it and its schema if needed.
    /// - Throws: `StoreError` — `locked` when another ModelWatch records into it or another
    ///   process holds its write lock, `schemaTooNew`, `readOnly`, `cannotOpen`, `corrupt`.
    public init(path: String, configuration: StoreConfiguration = StoreConfiguration()) throws(StoreError) {
        let lock = try WriterLock(path: path, patience: configuration.busyTimeout)
        let connection = try SQLiteConnection(path: path, readOnly: false, create: true)
        connection.writerLock = lock
        connection.setBusyTimeout(configuration.busyTimeout)
        do {
            try Self.configure(connection)
            try StoreSchema.migrate(connection)
        } catch  where error.code == .locked {
            throw StoreError(
                .locked,
                "\(path) is locked by another process (\(error.message)); the sqlite3 shell may only read it while ModelWatch records",
                sqliteCode: error.sqliteCode)
        }
        let writer = try StoreWriter(connection: connection, configuration: configuration)
        let readConnection = try SQLiteConnection(path: path, readOnly: true, create: false)
        readConnection.setBusyTimeout(configuration.busyTimeout)
        // Both connections keep the lock: its descriptor may close only after neither has the file open.
        readConnection.writerLock = lock
        self.path = path
        self.writer = Mutex(writer)
        self.reader = Mutex(try StoreReader(connection: readConnection))
    }

    /// Opens an existing file only to read it, as `modelwatch query` does, even while a sidecar
    /// records into it.
    /// - Throws: `cannotOpen` when there is no store at `path`, `schemaTooNew`, `corrupt`.
    public init(readingFrom path: String) throws(StoreError) {
        guard fileSize(path) > 0 else { throw StoreError(.cannotOpen, "no ModelWatch store at \(path)") }
        let connection = try SQLiteConnection(path: path, readOnly: true, create: false)
        connection.setBusyTimeout(.seconds(5))
        let version = try connection.integer("PRAGMA user_version")
        guard version <= StoreSchema.currentVersion else {
            throw StoreError(
                .schemaTooNew, "\(path) has store schema version \(version); this ModelWatch reads up to \(StoreSchema.currentVersion)")
        }
        guard version > 0 else { throw StoreError(.cannotOpen, "\(path) is not a ModelWatch store (no schema)") }
        self.path = path
        self.writer = Mutex(nil)
        self.reader = Mutex(try StoreReader(connection: connection))
    }

    /// WAL, so readers never block the writer; `synchronous = NORMAL`, which in WAL mode loses
    /// nothing committed when the process dies (only an operating-system crash can lose the last
    /// transactions); a WAL file cut back to `StoreWriter.walLimit` whenever it restarts; a page
    /// cache of `StoreWriter.pageCacheKiB`.
    private static func configure(_ connection: SQLiteConnection) throws(StoreError) {
        let isNew = try connection.integer("PRAGMA page_count") == 0
        if isNew { try connection.execute(StoreSchema.newFileSettings) }
        let mode = try connection.prepare("PRAGMA journal_mode = WAL", persistent: false)
        guard try mode.step(), mode.string(at: 0) == "wal" else {
            throw StoreError(.other, "\(connection.path) cannot switch to WAL mode (is it on a network file system?)")
        }
        try connection.execute(
            """
            PRAGMA synchronous = NORMAL;
            PRAGMA journal_size_limit = \(StoreWriter.walLimit);
            PRAGMA foreign_keys = OFF;
            PRAGMA cache_size = -\(StoreWriter.pageCacheKiB);
            """)
    }

    /// Appends one snapshot of every series, all with the same timestamp, in one transaction.
    /// - Returns: the rows written (samples and newly seen series).
    /// - Throws: `full` or `readOnly` when the disk refuses, `locked` when another process holds
    ///   the write lock too long; nothing of the snapshot is written then.
    @discardableResult
    public func append(_ values: [(key: SeriesKey, value: Double)], at timestamp: Int64) throws(StoreError) -> Int {
        try self.writer.withLock { (writer) throws(StoreError) -> Int in
            guard let writer else { throw StoreError(.readOnly, "\(self.path) was opened only for reading") }
            return try writer.append(values, at: timestamp)
        }
    }

    /// Copies what the write-ahead log holds into the database without waiting on readers
    /// (a passive checkpoint), so the log restarts small instead of growing to SQLite's own
    /// checkpoint at a thousand pages (16 MiB with this store's pages), more than a small volume has.
    public func checkpoint() throws(StoreError) {
        try self.writer.withLock { (writer) throws(StoreError) in try writer?.checkpoint() }
    }

    /// One bounded step of compaction, retention and vacuuming; call it until `moreWork` is false.
    public func maintain(now: Int64) throws(StoreError) -> MaintenanceStep {
        try self.writer.withLock { (writer) throws(StoreError) -> MaintenanceStep in
            guard let writer else { return MaintenanceStep() }
            return try writer.maintain(now: now)
        }
    }

    /// The samples of every series the selector matches, from `start` through `end` inclusive,
    /// series sorted by name and labels, samples by time; series with no sample in range are left out.
    public func select(_ selector: SeriesSelector, from start: Int64, through end: Int64) throws(StoreError) -> [SeriesSamples] {
        guard start <= end else { return [] }
        return try self.reader.withLock { (reader) throws(StoreError) -> [SeriesSamples] in
            try reader.select(selector, in: start...end)
        }
    }

    func withWriter<Result>(_ body: (StoreWriter) throws(StoreError) -> Result) throws(StoreError) -> Result {
        try self.writer.withLock { (writer) throws(StoreError) -> Result in
            guard let writer else { throw StoreError(.readOnly, "\(self.path) was opened only for reading") }
            return try body(writer)
        }
    }

    func withReader<Result>(_ body: (StoreReader) throws(StoreError) -> Result) throws(StoreError) -> Result {
        try self.reader.withLock { (reader) throws(StoreError) -> Result in try body(reader) }
    }

    /// Bytes on disk: the database file and its write-ahead log.
    public var sizeInBytes: Int64 {
        fileSize(self.path) + fileSize(self.path + "-wal")
    }

    /// Heap bytes held by the page caches of the writer and the reader: bounded by
    /// `StoreWriter.pageCacheKiB` and `StoreReader.pageCacheKiB` however large the file grows.
    public var pageCacheBytes: Int {
        let writing = self.writer.withLock { $0?.connection.pageCacheBytes ?? 0 }
        return writing + self.reader.withLock { $0.connection.pageCacheBytes }
    }

    /// SQLite's `PRAGMA integrity_check`: `["ok"]` for a sound file.
    public func integrityCheck() throws(StoreError) -> [String] {
        try self.reader.withLock { (reader) throws(StoreError) -> [String] in try reader.integrityCheck() }
    }
}
