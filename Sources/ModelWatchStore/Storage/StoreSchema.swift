/// The tables of the store and how a file moves from one schema version to the next.
///
/// Recent samples are rows keyed by time first, so a snapshot appends to the end of one B-tree
/// (a few pages) instead of touching a page per series; finished spans move to `chunks`, keyed by
/// series, where range queries read them.
///
/// `PRAGMA user_version` holds the version. Migrations only ever go forward; a file from a newer
/// ModelWatch is refused rather than misread.
enum StoreSchema {
    /// Each entry takes the file from version `index` to `index + 1`.
    static let migrations: [String] = [
        """
        CREATE TABLE series (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            labels TEXT NOT NULL,
            UNIQUE (name, labels)
        );
        CREATE TABLE samples (
            ts INTEGER NOT NULL,
            series_id INTEGER NOT NULL,
            value REAL,
            PRIMARY KEY (ts, series_id)
        ) WITHOUT ROWID;
        CREATE TABLE chunks (
            series_id INTEGER NOT NULL,
            resolution INTEGER NOT NULL,
            first_ts INTEGER NOT NULL,
            last_ts INTEGER NOT NULL,
            count INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        CREATE INDEX chunks_by_series ON chunks (series_id, resolution, first_ts);
        CREATE INDEX chunks_by_age ON chunks (resolution, last_ts);
        """,
        """
        CREATE TABLE drift_minutes (
            model TEXT NOT NULL,
            minute INTEGER NOT NULL,
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            baseline TEXT NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (model, minute, role, name)
        ) WITHOUT ROWID;
        CREATE INDEX drift_minutes_by_age ON drift_minutes (minute);
        CREATE TABLE baselines (
            id TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            loaded_at INTEGER NOT NULL,
            document BLOB NOT NULL
        );
        """,
        """
        CREATE TABLE settings (
            name TEXT PRIMARY KEY,
            saved_at INTEGER NOT NULL,
            document BLOB NOT NULL
        );
        """,
        // A series' chunks in a time range are those with first_ts <= end and last_ts >= start;
        // with last_ts in the index the older chunks are ruled out there, instead of by visiting
        // each one's row (a day's 24 per series for an instant query at its end).
        """
        DROP INDEX chunks_by_series;
        CREATE INDEX chunks_by_series ON chunks (series_id, resolution, first_ts, last_ts);
        """,
        // Shadow mismatches with the request and both answers; bounded per model and hour by the
        // writer, expired with the raw retention.
        """
        CREATE TABLE shadow_mismatches (
            id INTEGER PRIMARY KEY,
            model TEXT NOT NULL,
            version TEXT NOT NULL,
            ts INTEGER NOT NULL,
            outputs TEXT NOT NULL,
            differences TEXT NOT NULL,
            request BLOB NOT NULL,
            backend_answer BLOB NOT NULL,
            shadow_answer BLOB NOT NULL
        );
        CREATE INDEX shadow_mismatches_by_model ON shadow_mismatches (model, ts);
        CREATE INDEX shadow_mismatches_by_age ON shadow_mismatches (ts);
        """,
    ]

    static var currentVersion: Int64 { Int64(self.migrations.count) }

    /// Settings that only take effect on a file with no tables yet.
    static let newFileSettings = """
        PRAGMA page_size = 16384;
        PRAGMA auto_vacuum = INCREMENTAL;
        """

    /// Brings the file to the current version in one transaction.
    /// - Throws: `schemaTooNew` for a file from a newer ModelWatch, `locked` when another process
    ///   holds the write lock, anything else SQLite reports.
    static func migrate(_ connection: SQLiteConnection) throws(StoreError) {
        let version = try connection.integer("PRAGMA user_version")
        if version > self.currentVersion {
            throw StoreError(
                .schemaTooNew,
                "\(connection.path) has store schema version \(version); this ModelWatch knows up to \(self.currentVersion)")
        }
        guard version < self.currentVersion else { return }
        try connection.transaction { () throws(StoreError) in
            for step in self.migrations[Int(version)...] { try connection.execute(step) }
            try connection.execute("PRAGMA user_version = \(self.currentVersion)")
        }
    }
}
