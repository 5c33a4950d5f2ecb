/// Answers range queries from its own connection, so reading never waits for the writer: in WAL
/// mode a reader sees the last committed snapshot while the writer goes on.
///
/// `@unchecked Sendable`: it lives inside the store's `Mutex` and is only touched under it.
final class StoreReader: @unchecked Sendable {
    let connection: SQLiteConnection
    private let seriesNamed: SQLiteStatement
    private let allSeries: SQLiteStatement
    private let rawChunks: SQLiteStatement
    private let headSamples: SQLiteStatement
    private let earliestRaw: SQLiteStatement
    private let coarseChunks: SQLiteStatement
    private let anyCoarse: SQLiteStatement
    /// Parsed label sets by series id, with the JSON they came from: a series row never changes,
    /// and comparing the text is much cheaper than parsing it again on every query.
    private var keys: [Int64: (labelsJSON: String, key: SeriesKey, text: String)] = [:]

    /// How much of the file a reader maps into memory instead of copying pages in with `pread`.
    static let mappedBytes = 1 << 30

    /// The reader's page cache in KiB: pages of the file come through the mapping, so the cache
    /// holds mostly pages still in the write-ahead log, and a small bound keeps the heap flat.
    static let pageCacheKiB = 1024

    init(connection: SQLiteConnection) throws(StoreError) {
        self.connection = connection
        // Finding a series' chunks in a range visits each older chunk's row (the index ends at
        // first_ts): mapped, that is a pointer walk instead of a 16 KiB copy per row. SQLite falls
        // back to reads past the mapped size and remaps when the file shrinks.
        try connection.execute("PRAGMA mmap_size = \(Self.mappedBytes); PRAGMA cache_size = -\(Self.pageCacheKiB)")
        self.seriesNamed = try connection.prepare("SELECT id, name, labels FROM series WHERE name = ?")
        self.allSeries = try connection.prepare("SELECT id, name, labels FROM series")
        self.rawChunks = try connection.prepare(
            "SELECT data FROM chunks WHERE series_id = ? AND resolution = 0 AND first_ts <= ? AND last_ts >= ? ORDER BY first_ts")
        self.headSamples = try connection.prepare("SELECT ts, series_id, value FROM samples WHERE ts >= ? AND ts <= ? ORDER BY ts")
        self.earliestRaw = try connection.prepare(
            "SELECT ifnull(min(first_ts), 9223372036854775807) FROM chunks WHERE series_id = ? AND resolution = 0")
        self.coarseChunks = try connection.prepare(
            "SELECT data FROM chunks WHERE series_id = ? AND resolution > 0 AND first_ts <= ? AND last_ts >= ? ORDER BY first_ts")
        self.anyCoarse = try connection.prepare("SELECT EXISTS (SELECT 1 FROM chunks WHERE resolution > 0)")
    }

    func select(_ selector: SeriesSelector, in range: ClosedRange<Int64>) throws(StoreError) -> [SeriesSamples] {
        let matched = try self.series(matching: selector)
        guard !matched.isEmpty else { return [] }
        var head = try self.headSamples(of: Set(matched.map(\.0)), in: range)
        // Without downsampling there are no coarse chunks, and no need to look for them per series.
        let coarse = try self.hasCoarseChunks()
        var answer: [(order: String, series: SeriesSamples)] = []
        answer.reserveCapacity(matched.count)
        for (id, key) in matched {
            let text = self.keys[id]?.text ?? key.description
            var samples: [Sample] = []
            try self.readChunks(self.rawChunks, of: id, in: range, into: &samples)
            if let rows = head.removeValue(forKey: id) { samples += rows }
            if coarse, let older = try self.coarseSamples(of: id, in: range) { samples = older + samples }
            if !samples.isEmpty { answer.append((text, SeriesSamples(key: key, samples: Self.ordered(samples)))) }
        }
        return answer.sorted { $0.order < $1.order }.map(\.series)
    }

    func series(matching selector: SeriesSelector) throws(StoreError) -> [(Int64, SeriesKey)] {
        let statement: SQLiteStatement
        if let name = selector.metricName {
            statement = self.seriesNamed
            statement.bind(name, at: 1)
        } else {
            statement = self.allSeries
        }
        defer { statement.reset() }
        var matched: [(Int64, SeriesKey)] = []
        while try statement.step() {
            let id = statement.int64(at: 0)
            let name = statement.string(at: 1)
            let labelsJSON = statement.string(at: 2)
            let key: SeriesKey
            if let known = self.keys[id], known.labelsJSON == labelsJSON, known.key.name == name {
                key = known.key
            } else {
                guard let parsed = SeriesKey(name: name, labelsJSON: labelsJSON) else { continue }
                self.keys[id] = (labelsJSON, parsed, parsed.description)
                key = parsed
            }
            if selector.matches(key) { matched.append((id, key)) }
        }
        return matched
    }

    private func hasCoarseChunks() throws(StoreError) -> Bool {
        defer { self.anyCoarse.reset() }
        return try self.anyCoarse.step() && self.anyCoarse.int64(at: 0) != 0
    }

    /// The rows not yet packed into chunks, for the matched series: they are keyed by time, so
    /// one pass over the range serves every series (the head holds about one span).
    private func headSamples(of ids: Set<Int64>, in range: ClosedRange<Int64>) throws(StoreError) -> [Int64: [Sample]] {
        var samples: [Int64: [Sample]] = [:]
        guard !ids.isEmpty else { return samples }
        self.headSamples.bind(range.lowerBound, at: 1)
        self.headSamples.bind(range.upperBound, at: 2)
        defer { self.headSamples.reset() }
        while try self.headSamples.step() {
            let id = self.headSamples.int64(at: 1)
            guard ids.contains(id) else { continue }
            samples[id, default: []].append(Sample(timestamp: self.headSamples.int64(at: 0), value: self.headSamples.value(at: 2)))
        }
        return samples
    }

    /// Coarse samples from before the series' first raw chunk, where raw retention has already
    /// deleted the detail; `nil` when there are none. (Rows not yet compacted are always newer
    /// than any chunk.)
    private func coarseSamples(of id: Int64, in range: ClosedRange<Int64>) throws(StoreError) -> [Sample]? {
        self.earliestRaw.bind(id, at: 1)
        let earliest = try self.earliestRaw.step() ? self.earliestRaw.int64(at: 0) : Int64.max
        self.earliestRaw.reset()
        guard earliest > range.lowerBound else { return nil }
        let upper = min(range.upperBound, earliest == .min ? earliest : earliest - 1)
        guard upper >= range.lowerBound else { return nil }
        var samples: [Sample] = []
        try self.readChunks(self.coarseChunks, of: id, in: range.lowerBound...upper, into: &samples)
        return samples.isEmpty ? nil : samples
    }

    private func readChunks(_ statement: SQLiteStatement, of id: Int64, in range: ClosedRange<Int64>, into samples: inout [Sample])
        throws(StoreError)
    {
        statement.bind(id, at: 1)
        statement.bind(range.upperBound, at: 2)
        statement.bind(range.lowerBound, at: 3)
        defer { statement.reset() }
        while try statement.step() {
            let whole = try statement.withBlob(at: 0) { (bytes) throws(StoreError) -> Bool in
                SampleChunk.decode(bytes, in: range, into: &samples)
            }
            if !whole { throw StoreError(.corrupt, "a chunk of series \(id) in \(self.connection.path) is not a whole number of samples") }
        }
    }

    /// Chunks come in span order and rows after them, so samples are in order unless a clock went
    /// back; then they are sorted and a repeated timestamp keeps its last value.
    private static func ordered(_ samples: [Sample]) -> [Sample] {
        guard zip(samples, samples.dropFirst()).contains(where: { $0.timestamp >= $1.timestamp }) else { return samples }
        var sorted: [Sample] = []
        for sample in samples.enumerated().sorted(by: { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }) {
            if sorted.last?.timestamp == sample.element.timestamp {
                sorted[sorted.count - 1] = sample.element
            } else {
                sorted.append(sample.element)
            }
        }
        return sorted
    }

    func integrityCheck() throws(StoreError) -> [String] {
        let statement = try self.connection.prepare("PRAGMA integrity_check", persistent: false)
        var lines: [String] = []
        while try statement.step() { lines.append(statement.string(at: 0)) }
        return lines
    }
}
