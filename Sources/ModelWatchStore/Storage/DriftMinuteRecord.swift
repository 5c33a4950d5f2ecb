/// One feature's (or output's) drift histogram for one minute, as the store keeps it.
///
/// The store does not read `data`: the drift target encodes and decodes it. It only files it by
/// model and minute, with the identifier of the baseline whose edges it was counted on, so a
/// window never mixes minutes binned on different edges.
public struct DriftMinuteRecord: Sendable, Equatable {
    public var model: String
    /// The minute's start, Unix milliseconds.
    public var minute: Int64
    /// `feature` or `output`.
    public var role: String
    public var name: String
    /// The baseline's identifier; empty for minutes recorded without one.
    public var baseline: String
    public var data: [UInt8]

    public init(model: String, minute: Int64, role: String, name: String, baseline: String, data: [UInt8]) {
        self.model = model
        self.minute = minute
        self.role = role
        self.name = name
        self.baseline = baseline
        self.data = data
    }
}

extension StoreWriter {
    /// Writes minutes in one transaction; a minute written again replaces the first copy.
    func appendDriftMinutes(_ records: [DriftMinuteRecord]) throws(StoreError) {
        guard !records.isEmpty else { return }
        let insert = try self.connection.prepare(
            "INSERT OR REPLACE INTO drift_minutes (model, minute, role, name, baseline, data) VALUES (?, ?, ?, ?, ?, ?)")
        try self.connection.transaction { () throws(StoreError) in
            for record in records {
                insert.bind(record.model, at: 1)
                insert.bind(record.minute, at: 2)
                insert.bind(record.role, at: 3)
                insert.bind(record.name, at: 4)
                insert.bind(record.baseline, at: 5)
                record.data.withUnsafeBytes { insert.bind($0, at: 6) }
                defer { insert.reset() }
                try insert.step()
            }
        }
    }

    /// Keeps a copy of a baseline document, so `modelwatch drift` can judge stored minutes
    /// without the file the sidecar was started with.
    func saveBaseline(id: String, model: String, document: [UInt8], at timestamp: Int64) throws(StoreError) {
        let insert = try self.connection.prepare(
            "INSERT INTO baselines (id, model, loaded_at, document) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET loaded_at = excluded.loaded_at",
            persistent: false)
        insert.bind(id, at: 1)
        insert.bind(model, at: 2)
        insert.bind(timestamp, at: 3)
        document.withUnsafeBytes { insert.bind($0, at: 4) }
        _ = try self.connection.transaction { () throws(StoreError) in try insert.step() }
    }

    /// Deletes a batch of minutes older than retention.
    func expireDriftMinutes(now: Int64) throws(StoreError) -> Int {
        try self.deleteBatch(
            """
            DELETE FROM drift_minutes WHERE (model, minute, role, name) IN
                (SELECT model, minute, role, name FROM drift_minutes WHERE minute < ? LIMIT \(Self.deletionBatch))
            """,
            before: now - self.configuration.retention.milliseconds)
    }

    /// Runs a `DELETE` whose one parameter is a horizon, in its own transaction.
    /// - Returns: the rows it deleted.
    func deleteBatch(_ sql: String, before horizon: Int64) throws(StoreError) -> Int {
        let delete = try self.connection.prepare(sql)
        delete.bind(horizon, at: 1)
        defer { delete.reset() }
        var deleted = 0
        try self.connection.transaction { () throws(StoreError) in
            try delete.step()
            deleted = self.connection.changes
        }
        return deleted
    }
}

extension StoreReader {
    /// A model's minutes starting in `[start, end)`, oldest first.
    func driftMinutes(model: String, from start: Int64, before end: Int64) throws(StoreError) -> [DriftMinuteRecord] {
        let select = try self.connection.prepare(
            "SELECT minute, role, name, baseline, data FROM drift_minutes WHERE model = ? AND minute >= ? AND minute < ? ORDER BY minute, role, name",
            persistent: false)
        select.bind(model, at: 1)
        select.bind(start, at: 2)
        select.bind(end, at: 3)
        var records: [DriftMinuteRecord] = []
        while try select.step() {
            let data = try select.withBlob(at: 4) { (bytes) throws(StoreError) in Array(bytes) }
            records.append(
                DriftMinuteRecord(
                    model: model, minute: select.int64(at: 0), role: select.string(at: 1), name: select.string(at: 2),
                    baseline: select.string(at: 3), data: data))
        }
        return records
    }

    /// A stored baseline document: the one with `id`, or the model's most recently loaded.
    func baseline(model: String, id: String?) throws(StoreError) -> (id: String, document: [UInt8])? {
        let select = try self.connection.prepare(
            id == nil
                ? "SELECT id, document FROM baselines WHERE model = ? ORDER BY loaded_at DESC LIMIT 1"
                : "SELECT id, document FROM baselines WHERE model = ? AND id = ?",
            persistent: false)
        select.bind(model, at: 1)
        if let id { select.bind(id, at: 2) }
        guard try select.step() else { return nil }
        return (select.string(at: 0), try select.withBlob(at: 1) { (bytes) throws(StoreError) in Array(bytes) })
    }
}

extension TimeSeriesStore {
    /// Writes drift minutes in one transaction.
    /// - Throws: `full` or `readOnly` when the disk refuses; nothing is written then.
    public func appendDriftMinutes(_ records: [DriftMinuteRecord]) throws(StoreError) {
        try self.withWriter { (writer) throws(StoreError) in try writer.appendDriftMinutes(records) }
    }

    /// Keeps a baseline document under its identifier (loading it again only updates the time).
    public func saveBaseline(id: String, model: String, document: [UInt8], at timestamp: Int64) throws(StoreError) {
        try self.withWriter { (writer) throws(StoreError) in
            try writer.saveBaseline(id: id, model: model, document: document, at: timestamp)
        }
    }

    /// A model's drift minutes starting in `[start, end)`, oldest first.
    public func driftMinutes(model: String, from start: Int64, before end: Int64) throws(StoreError) -> [DriftMinuteRecord] {
        try self.withReader { (reader) throws(StoreError) in try reader.driftMinutes(model: model, from: start, before: end) }
    }

    /// The stored baseline with `id`, or the model's most recently loaded one when `id` is `nil`.
    public func baseline(model: String, id: String? = nil) throws(StoreError) -> (id: String, document: [UInt8])? {
        try self.withReader { (reader) throws(StoreError) in try reader.baseline(model: model, id: id) }
    }
}
