/// Answers range queries from its own connection, so reading never waits for the writer: in WAL
/// mode a reader sees the last committed snapshot while the writer goes on.
///
/// `@unchecked Sendable`: it lives inside the store's `Mutex` and is only touched under it.
final class StoreReader: @unchecked Sendable {
    private let connection: SQLiteConnection
    private let seriesNamed: SQLiteStatement
    private let allSeries: SQLiteStatement
    private let rawChunks: SQLiteStatement
    private let headSamples: SQLiteStatement
    private let earliestRaw: SQLiteStatement
    private let coarseChunks: SQLiteStatement

    init(connection: SQLiteConnection) throws(StoreError) {
        self.connection = connection
        self.seriesNamed = try connection.prepare("SELECT id, name, labels FROM series WHERE name = ?")
        self.allSeries = try connection.prepare("SELECT id, name, labels FROM series")
        self.rawChunks = try connection.prepare(
            "SELECT data FROM chunks WHERE series_id = ? AND resolution = 0 AND first_ts <= ? AND last_ts >= ? ORDER BY first_ts")
        self.headSamples = try connection.prepare(
            "SELECT ts, value FROM samples WHERE series_id = ? AND ts >= ? AND ts <= ? ORDER BY ts")
        self.earliestRaw = try connection.prepare(
            """
            SELECT min(ifnull((SELECT min(first_ts) FROM chunks WHERE series_id = ?1 AND resolution = 0), 9223372036854775807),
                       ifnull((SELECT min(ts) FROM samples WHERE series_id = ?1), 9223372036854775807))
            """)
        self.coarseChunks = try connection.prepare(
            "SELECT data FROM chunks WHERE series_id = ? AND resolution > 0 AND first_ts <= ? AND last_ts >= ? ORDER BY first_ts")
    }

    func select(_ selector: SeriesSelector, in range: ClosedRange<Int64>) throws(StoreError) -> [SeriesSamples] {
        var answer: [SeriesSamples] = []
        for (id, key) in try self.series(matching: selector) {
            var samples = try self.rawSamples(of: id, in: range)
            if let coarse = try self.coarseSamples(of: id, in: range) { samples = coarse + samples }
            if !samples.isEmpty { answer.append(SeriesSamples(key: key, samples: Self.ordered(samples))) }
        }
        return answer.sorted { $0.key.description < $1.key.description }
    }

    private func series(matching selector: SeriesSelector) throws(StoreError) -> [(Int64, SeriesKey)] {
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
            guard let key = SeriesKey(name: statement.string(at: 1), labelsJSON: statement.string(at: 2)), selector.matches(key) else {
                continue
            }
            matched.append((statement.int64(at: 0), key))
        }
        return matched
    }

    private func rawSamples(of id: Int64, in range: ClosedRange<Int64>) throws(StoreError) -> [Sample] {
        var samples: [Sample] = []
        try self.readChunks(self.rawChunks, of: id, in: range, into: &samples)
        self.headSamples.bind(id, at: 1)
        self.headSamples.bind(range.lowerBound, at: 2)
        self.headSamples.bind(range.upperBound, at: 3)
        defer { self.headSamples.reset() }
        while try self.headSamples.step() {
            samples.append(Sample(timestamp: self.headSamples.int64(at: 0), value: self.headSamples.value(at: 1)))
        }
        return samples
    }

    /// Coarse samples from before the series' first raw one, where raw retention has already
    /// deleted the detail; `nil` when there are none.
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
