/// One shadow comparison that disagreed, as the store keeps it: the request (with configured
/// fields redacted) and both answers, so a person can see what differed and reproduce it.
public struct ShadowMismatchRecord: Sendable, Equatable {
    public var model: String
    public var version: String
    /// Unix milliseconds when the comparison finished.
    public var timestamp: Int64
    /// The backend outputs that differed, comma-separated.
    public var outputs: String
    /// A JSON array of the differing values: `[{"output", "row", "backend", "shadow", "abs"}]`.
    public var differences: String
    public var request: [UInt8]
    public var backendAnswer: [UInt8]
    public var shadowAnswer: [UInt8]

    public init(
        model: String, version: String, timestamp: Int64, outputs: String, differences: String, request: [UInt8], backendAnswer: [UInt8],
        shadowAnswer: [UInt8]
    ) {
        self.model = model
        self.version = version
        self.timestamp = timestamp
        self.outputs = outputs
        self.differences = differences
        self.request = request
        self.backendAnswer = backendAnswer
        self.shadowAnswer = shadowAnswer
    }
}

extension StoreWriter {
    /// Inserts mismatches in one transaction, each only while its model has fewer than
    /// `limitPerHour` in the clock hour of its timestamp: the file stays bounded however often a
    /// model disagrees, and a restart does not reset the allowance.
    /// - Returns: how many were kept.
    func appendShadowMismatches(_ records: [ShadowMismatchRecord], limitPerHour: Int) throws(StoreError) -> Int {
        guard !records.isEmpty else { return 0 }
        let insert = try self.connection.prepare(
            """
            INSERT INTO shadow_mismatches (model, version, ts, outputs, differences, request, backend_answer, shadow_answer)
            SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
            WHERE (SELECT count(*) FROM shadow_mismatches WHERE model = ?1 AND ts >= ?9 AND ts < ?9 + 3600000) < ?10
            """)
        var kept = 0
        try self.connection.transaction { () throws(StoreError) in
            for record in records {
                insert.bind(record.model, at: 1)
                insert.bind(record.version, at: 2)
                insert.bind(record.timestamp, at: 3)
                insert.bind(record.outputs, at: 4)
                insert.bind(record.differences, at: 5)
                record.request.withUnsafeBytes { insert.bind($0, at: 6) }
                record.backendAnswer.withUnsafeBytes { insert.bind($0, at: 7) }
                record.shadowAnswer.withUnsafeBytes { insert.bind($0, at: 8) }
                insert.bind(record.timestamp.flooredDivision(by: 3_600_000) * 3_600_000, at: 9)
                insert.bind(Int64(limitPerHour), at: 10)
                defer { insert.reset() }
                try insert.step()
                kept += self.connection.changes
            }
        }
        return kept
    }

    /// Deletes a batch of mismatches older than the raw retention.
    func expireShadowMismatches(now: Int64) throws(StoreError) -> Int {
        try self.deleteBatch(
            "DELETE FROM shadow_mismatches WHERE id IN (SELECT id FROM shadow_mismatches WHERE ts < ? LIMIT \(Self.deletionBatch))",
            before: now - self.configuration.retention.milliseconds)
    }
}

extension StoreReader {
    /// A model's mismatches in `[start, end]`, newest first, at most `limit`.
    func shadowMismatches(model: String, from start: Int64, through end: Int64, limit: Int) throws(StoreError) -> [ShadowMismatchRecord] {
        let select = try self.connection.prepare(
            """
            SELECT version, ts, outputs, differences, request, backend_answer, shadow_answer FROM shadow_mismatches
            WHERE model = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC, id DESC LIMIT ?
            """,
            persistent: false)
        select.bind(model, at: 1)
        select.bind(start, at: 2)
        select.bind(end, at: 3)
        select.bind(Int64(limit), at: 4)
        var records: [ShadowMismatchRecord] = []
        while try select.step() {
            func blob(_ column: Int32) throws(StoreError) -> [UInt8] {
                try select.withBlob(at: column) { (bytes) throws(StoreError) in Array(bytes) }
            }
            records.append(
                ShadowMismatchRecord(
                    model: model, version: select.string(at: 0), timestamp: select.int64(at: 1), outputs: select.string(at: 2),
                    differences: select.string(at: 3), request: try blob(4), backendAnswer: try blob(5), shadowAnswer: try blob(6)))
        }
        return records
    }
}

extension TimeSeriesStore {
    /// Keeps mismatches, at most `limitPerHour` per model and clock hour.
    /// - Returns: how many were kept; the rest were over the allowance.
    /// - Throws: `full` or `readOnly` when the disk refuses; nothing is written then.
    public func appendShadowMismatches(_ records: [ShadowMismatchRecord], limitPerHour: Int) throws(StoreError) -> Int {
        try self.withWriter { (writer) throws(StoreError) in try writer.appendShadowMismatches(records, limitPerHour: limitPerHour) }
    }

    /// A model's mismatches from `start` through `end` (Unix milliseconds), newest first.
    public func shadowMismatches(model: String, from start: Int64, through end: Int64, limit: Int = 100) throws(StoreError)
        -> [ShadowMismatchRecord]
    {
        try self.withReader { (reader) throws(StoreError) in
            try reader.shadowMismatches(model: model, from: start, through: end, limit: limit)
        }
    }
}
