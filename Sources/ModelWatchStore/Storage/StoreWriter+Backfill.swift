/// Loading history (`modelwatch import`): finished spans go straight into chunks, the form range
/// queries read, instead of rows that only a running sidecar's maintenance would pack later.
/// Nothing is expired here: retention is the sidecar's business, and a backfill is usually older
/// than it.
extension StoreWriter {
    /// Writes every series' samples in one transaction: one chunk per series and finished span,
    /// rows for the span `now` is in (where a sidecar may still record).
    /// - Returns: the samples written.
    func backfill(_ series: [(key: SeriesKey, samples: [Sample])], now: Int64) throws(StoreError) -> Int {
        let span = max(1, self.configuration.chunkSpan.milliseconds)
        let cutoff = now.flooredDivision(by: span) * span
        var created: [SeriesKey: Int64] = [:]
        let written = try self.connection.transaction { () throws(StoreError) -> Int in
            var written = 0
            for (key, samples) in series where !samples.isEmpty {
                let id: Int64
                if let known = self.seriesIDs[key] ?? created[key] {
                    id = known
                } else {
                    id = try self.registerSeries(key)
                    created[key] = id
                }
                let ordered = Self.inTimeOrder(samples)
                var first = ordered.startIndex
                while first < ordered.endIndex, ordered[first].timestamp < cutoff {
                    let spanEnd = min((ordered[first].timestamp.flooredDivision(by: span) + 1) * span, cutoff)
                    var last = first
                    while last < ordered.endIndex, ordered[last].timestamp < spanEnd { last += 1 }
                    let chunk = Array(ordered[first..<last])
                    try self.writeChunk(series: id, resolution: 0, chunk)
                    if let downsampling = self.configuration.downsampling {
                        let resolution = max(1, downsampling.resolution.milliseconds)
                        try self.writeChunk(series: id, resolution: resolution, Self.lastPerStep(chunk, step: resolution))
                    }
                    first = last
                }
                for sample in ordered[first...] {
                    self.insertSample.bind(sample.timestamp, at: 1)
                    self.insertSample.bind(id, at: 2)
                    self.insertSample.bind(sample.value, at: 3)
                    defer { self.insertSample.reset() }
                    try self.insertSample.step()
                }
                written += ordered.count
            }
            return written
        }
        self.seriesIDs.merge(created) { old, _ in old }
        // A backfill writes the whole history through the WAL at once. Until a checkpoint copies it
        // into the file, every reader finds its pages in the WAL (read with `pread`, not mapped),
        // and the store's read-only connection cannot checkpoint when it closes: copy it now. A
        // reader still holding an old snapshot leaves part of it for the next checkpoint.
        _ = try self.connection.integer("PRAGMA wal_checkpoint(TRUNCATE)")
        return written
    }

    /// Samples sorted by time, a repeated timestamp keeping its last value, as a scrape that
    /// repeats a sample would overwrite a row.
    static func inTimeOrder(_ samples: [Sample]) -> [Sample] {
        guard zip(samples, samples.dropFirst()).contains(where: { $0.timestamp >= $1.timestamp }) else { return samples }
        var sorted: [Sample] = []
        sorted.reserveCapacity(samples.count)
        for sample in samples.enumerated().sorted(by: { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }) {
            if sorted.last?.timestamp == sample.element.timestamp {
                sorted[sorted.count - 1] = sample.element
            } else {
                sorted.append(sample.element)
            }
        }
        return sorted
    }
}

extension TimeSeriesStore {
    /// Loads history: each series' samples, in any order, in one transaction. Finished spans are
    /// packed into chunks at once (what a sidecar's maintenance would do later) and nothing is
    /// expired, however old; samples in the span of `now` become rows like a sidecar's own.
    ///
    /// A sample at a time the file already holds for that series is kept next to it; a query then
    /// sees one of the two values.
    /// - Parameters:
    ///   - series: the samples of each series.
    ///   - now: milliseconds; the span it falls in is left to the sidecar's compaction.
    /// - Returns: the samples written (a timestamp repeated within a series counts once).
    /// - Throws: `readOnly` for a file opened only for reading; `full`, `locked` and SQLite's other
    ///   errors, after which nothing of the backfill is written.
    @discardableResult
    public func backfill(_ series: [(key: SeriesKey, samples: [Sample])], now: Int64) throws(StoreError) -> Int {
        try self.withWriter { (writer) throws(StoreError) -> Int in try writer.backfill(series, now: now) }
    }
}
