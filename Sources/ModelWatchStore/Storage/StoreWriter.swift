/// The store's only writer: its connection, prepared statements, the series-id cache and where
/// maintenance stands.
///
/// `@unchecked Sendable`: it lives inside the store's `Mutex` and is only touched under it, so one
/// thread at a time uses it and its SQLite handles.
final class StoreWriter: @unchecked Sendable {
    let connection: SQLiteConnection
    let configuration: StoreConfiguration
    let insertSample: SQLiteStatement
    private let insertSeries: SQLiteStatement
    private let selectHead: SQLiteStatement
    private let deleteHead: SQLiteStatement
    private let insertChunk: SQLiteStatement
    private let deleteExpired: SQLiteStatement
    var seriesIDs: [SeriesKey: Int64] = [:]
    /// Whether retention deleted chunks since the last sweep for series left with no samples.
    private var orphansPossible = false

    /// Chunks deleted per maintenance step.
    static let deletionBatch = 512
    /// Free pages returned to the file system per step.
    static let vacuumBatch = 256

    init(connection: SQLiteConnection, configuration: StoreConfiguration) throws(StoreError) {
        self.connection = connection
        self.configuration = configuration
        self.insertSample = try connection.prepare("INSERT OR REPLACE INTO samples (ts, series_id, value) VALUES (?, ?, ?)")
        self.insertSeries = try connection.prepare(
            "INSERT INTO series (name, labels) VALUES (?, ?) ON CONFLICT (name, labels) DO UPDATE SET name = excluded.name RETURNING id")
        self.selectHead = try connection.prepare("SELECT ts, series_id, value FROM samples WHERE ts < ? ORDER BY ts")
        self.deleteHead = try connection.prepare("DELETE FROM samples WHERE ts < ?")
        self.insertChunk = try connection.prepare(
            "INSERT INTO chunks (series_id, resolution, first_ts, last_ts, count, data) VALUES (?, ?, ?, ?, ?, ?)")
        self.deleteExpired = try connection.prepare(
            "DELETE FROM chunks WHERE rowid IN (SELECT rowid FROM chunks WHERE resolution = ? AND last_ts < ? LIMIT \(Self.deletionBatch))")
        try self.loadSeries()
    }

    private func loadSeries() throws(StoreError) {
        let statement = try self.connection.prepare("SELECT id, name, labels FROM series", persistent: false)
        self.seriesIDs.removeAll(keepingCapacity: true)
        while try statement.step() {
            guard let key = SeriesKey(name: statement.string(at: 1), labelsJSON: statement.string(at: 2)) else { continue }
            self.seriesIDs[key] = statement.int64(at: 0)
        }
    }

    /// Bytes the write-ahead log is cut back to when it restarts after a checkpoint.
    static let walLimit = 1 << 20

    /// The writer's page cache in KiB. SQLite's default (2 MiB a connection) fills as the store
    /// grows and is held for good, which a long run shows as heap growth; appending and compacting
    /// touch the right edge of a few B-trees, which 64 pages of 16 KiB hold.
    static let pageCacheKiB = 1024

    /// A passive checkpoint: what readers still need stays in the log for the next one.
    func checkpoint() throws(StoreError) {
        _ = try self.connection.integer("PRAGMA wal_checkpoint(PASSIVE)")
    }

    /// Appends one snapshot in one transaction.
    /// - Returns: the rows written (samples plus new series).
    func append(_ values: [(key: SeriesKey, value: Double)], at timestamp: Int64) throws(StoreError) -> Int {
        // New series are remembered only once the transaction commits, so a failed write leaves no
        // id in the cache that the file does not have.
        var created: [SeriesKey: Int64] = [:]
        let rows = try self.connection.transaction { () throws(StoreError) -> Int in
            var rows = 0
            for (key, value) in values {
                let id: Int64
                if let known = self.seriesIDs[key] ?? created[key] {
                    id = known
                } else {
                    id = try self.registerSeries(key)
                    created[key] = id
                    rows += 1
                }
                self.insertSample.bind(timestamp, at: 1)
                self.insertSample.bind(id, at: 2)
                self.insertSample.bind(value, at: 3)
                defer { self.insertSample.reset() }
                try self.insertSample.step()
                rows += 1
            }
            return rows
        }
        self.seriesIDs.merge(created) { old, _ in old }
        return rows
    }

    func registerSeries(_ key: SeriesKey) throws(StoreError) -> Int64 {
        self.insertSeries.bind(key.name, at: 1)
        self.insertSeries.bind(key.labelsJSON, at: 2)
        defer { self.insertSeries.reset() }
        guard try self.insertSeries.step() else { throw StoreError(.other, "registering \(key) returned no id") }
        return self.insertSeries.int64(at: 0)
    }

    /// One bounded step of housekeeping: packing finished spans into chunks, deleting what is past
    /// retention, returning free pages. Each part is its own short transaction, so an append never
    /// waits long behind it.
    /// - Returns: whether more work is waiting.
    func maintain(now: Int64) throws(StoreError) -> MaintenanceStep {
        var step = MaintenanceStep()
        let compaction = try self.compactSome(now: now)
        step.compactedSeries = compaction.series
        step.deletedChunks = try self.expireSome(now: now)
        step.deletedDriftMinutes = try self.expireDriftMinutes(now: now)
        step.deletedShadowMismatches = try self.expireShadowMismatches(now: now)
        step.vacuumedPages = try self.vacuumSome()
        step.moreWork =
            compaction.more || step.deletedChunks == Self.deletionBatch || step.vacuumedPages > 0
            || step.deletedDriftMinutes == Self.deletionBatch || step.deletedShadowMismatches == Self.deletionBatch
        return step
    }

    /// Packs the oldest finished span into one chunk per series, in one transaction; a sidecar
    /// that was down for a while catches up a span per step.
    private func compactSome(now: Int64) throws(StoreError) -> (series: Int, more: Bool) {
        let span = max(1, self.configuration.chunkSpan.milliseconds)
        let cutoff = now.flooredDivision(by: span) * span
        let oldest = try self.connection.integer("SELECT ifnull(min(ts), 9223372036854775807) FROM samples")
        guard oldest < cutoff else { return (0, false) }
        let spanEnd = min((oldest.flooredDivision(by: span) + 1) * span, cutoff)
        let compacted = try self.connection.transaction { () throws(StoreError) -> Int in
            var bySeries: [Int64: [Sample]] = [:]
            self.selectHead.bind(spanEnd, at: 1)
            defer { self.selectHead.reset() }
            while try self.selectHead.step() {
                let sample = Sample(timestamp: self.selectHead.int64(at: 0), value: self.selectHead.value(at: 2))
                bySeries[self.selectHead.int64(at: 1), default: []].append(sample)
            }
            for (id, samples) in bySeries.sorted(by: { $0.key < $1.key }) {
                try self.writeChunk(series: id, resolution: 0, samples)
                if let downsampling = self.configuration.downsampling {
                    let resolution = max(1, downsampling.resolution.milliseconds)
                    try self.writeChunk(series: id, resolution: resolution, Self.lastPerStep(samples, step: resolution))
                }
            }
            self.deleteHead.bind(spanEnd, at: 1)
            defer { self.deleteHead.reset() }
            try self.deleteHead.step()
            return bySeries.count
        }
        return (compacted, spanEnd < cutoff)
    }

    func writeChunk(series id: Int64, resolution: Int64, _ samples: [Sample]) throws(StoreError) {
        guard let first = samples.first, let last = samples.last else { return }
        self.insertChunk.bind(id, at: 1)
        self.insertChunk.bind(resolution, at: 2)
        self.insertChunk.bind(first.timestamp, at: 3)
        self.insertChunk.bind(last.timestamp, at: 4)
        self.insertChunk.bind(Int64(samples.count), at: 5)
        SampleChunk.encode(samples).withUnsafeBytes { self.insertChunk.bind($0, at: 6) }
        defer { self.insertChunk.reset() }
        try self.insertChunk.step()
    }

    /// The last sample of each step: exact for counters and histogram buckets, whose increase
    /// between any two kept samples is still the true increase.
    static func lastPerStep(_ samples: [Sample], step: Int64) -> [Sample] {
        var kept: [Sample] = []
        for sample in samples {
            if let last = kept.last, last.timestamp.flooredDivision(by: step) == sample.timestamp.flooredDivision(by: step) {
                kept[kept.count - 1] = sample
            } else {
                kept.append(sample)
            }
        }
        return kept
    }

    private func expireSome(now: Int64) throws(StoreError) -> Int {
        var deleted = 0
        var horizons = [(Int64(0), now - self.configuration.retention.milliseconds)]
        if let downsampling = self.configuration.downsampling {
            horizons.append((max(1, downsampling.resolution.milliseconds), now - downsampling.retention.milliseconds))
        }
        try self.connection.transaction { () throws(StoreError) in
            for (resolution, horizon) in horizons {
                self.deleteExpired.bind(resolution, at: 1)
                self.deleteExpired.bind(horizon, at: 2)
                defer { self.deleteExpired.reset() }
                try self.deleteExpired.step()
                deleted += self.connection.changes
            }
        }
        if deleted > 0 {
            self.orphansPossible = true
        } else if self.orphansPossible {
            try self.forgetOrphans()
        }
        return deleted
    }

    /// Series with no sample left anywhere are deleted once retention has caught up, so a model
    /// that went away does not keep its series rows forever.
    private func forgetOrphans() throws(StoreError) {
        try self.connection.transaction { () throws(StoreError) in
            try self.connection.execute(
                """
                DELETE FROM series WHERE id NOT IN (SELECT series_id FROM samples)
                    AND NOT EXISTS (SELECT 1 FROM chunks WHERE series_id = series.id)
                """)
        }
        self.orphansPossible = false
        try self.loadSeries()
    }

    /// Gives free pages back once they are more than an eighth of the file, so the file shrinks
    /// after load drops; under steady load SQLite reuses them and the file stays the same size.
    private func vacuumSome() throws(StoreError) -> Int {
        let free = try self.connection.integer("PRAGMA freelist_count")
        let total = try self.connection.integer("PRAGMA page_count")
        guard free > 0, free * 8 > total else { return 0 }
        try self.connection.execute("PRAGMA incremental_vacuum(\(Self.vacuumBatch))")
        return Int(min(free, Int64(Self.vacuumBatch)))
    }
}

/// What one maintenance step did.
public struct MaintenanceStep: Sendable, Equatable {
    public var compactedSeries = 0
    public var deletedChunks = 0
    public var deletedDriftMinutes = 0
    public var deletedShadowMismatches = 0
    public var vacuumedPages = 0
    /// Another step now would find more to do.
    public var moreWork = false

    public init() {}
}

extension Int64 {
    /// Division rounding towards minus infinity, so spans line up for times before 1970 too.
    func flooredDivision(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
