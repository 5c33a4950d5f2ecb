import Foundation
import ModelWatchProxy
import ModelWatchStore

/// `modelwatch query`: reads series from a store file, even one a running sidecar records into,
/// and prints them as a table or as the Prometheus HTTP API's matrix JSON.
public struct StoreQuery {
    public enum Format: String, CaseIterable, Sendable {
        case table
        case json
    }

    /// Why a query could not be answered: a bad time, selector or file.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public var database: String
    public var selector: String
    public var start: String?
    public var end: String?
    public var format: Format

    public init(database: String, selector: String, start: String?, end: String?, format: Format) {
        self.database = database
        self.selector = selector
        self.start = start
        self.end = end
        self.format = format
    }

    /// Runs the query.
    /// - Parameter now: milliseconds since the epoch that `now` and relative times count from;
    ///   the current time when `nil`.
    /// - Returns: the text to print.
    /// - Throws: `Failure` with the reason.
    public func run(now: Int64? = nil) throws(Failure) -> String {
        let now = now ?? Int64((Date().timeIntervalSince1970 * 1000).rounded())
        let end = try self.end.map { text throws(Failure) in try Self.time(text, now: now) } ?? now
        let start = try self.start.map { text throws(Failure) in try Self.time(text, now: now) } ?? end - 3_600_000
        guard start <= end else { throw Failure(description: "--start is after --end") }
        let series: [SeriesSamples]
        do {
            let selector = try SeriesSelector(parsing: self.selector)
            series = try TimeSeriesStore(readingFrom: self.database).select(selector, from: start, through: end)
        } catch {
            throw Failure(description: error.description)
        }
        switch self.format {
        case .table: return Self.table(series)
        case .json: return Self.json(series)
        }
    }

    /// Reads `now`, `now-15m` or `-15m` (before now), Unix seconds (`1767225600`, `1767225600.5`) or RFC 3339
    /// (`2026-01-01T00:00:00Z`), as milliseconds since the epoch.
    static func time(_ text: String, now: Int64) throws(Failure) -> Int64 {
        if text == "now" { return now }
        let relative = text.hasPrefix("now-") ? text.dropFirst(4) : text.hasPrefix("-") ? text.dropFirst() : nil
        if let relative, let ago = ValueSyntax.duration(String(relative)) {
            return now - ago.components.seconds * 1000 - ago.components.attoseconds / 1_000_000_000_000_000
        }
        if let seconds = Double(text), seconds.isFinite { return Int64((seconds * 1000).rounded()) }
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        throw Failure(description: "`\(text)` is not a time: use now, now-15m, Unix seconds or RFC 3339 (2026-01-01T00:00:00Z)")
    }

    /// One line per sample: series, RFC 3339 time, value; columns aligned.
    static func table(_ series: [SeriesSamples]) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var rows: [(String, String, String)] = [("SERIES", "TIME", "VALUE")]
        for entry in series {
            let name = entry.key.description
            for sample in entry.samples {
                let time = formatter.string(from: Date(timeIntervalSince1970: Double(sample.timestamp) / 1000))
                rows.append((name, time, Self.text(sample.value)))
            }
        }
        let width = rows.map(\.0.count).max() ?? 0
        let timeWidth = rows.map(\.1.count).max() ?? 0
        return rows.map { row in
            row.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + row.1.padding(toLength: timeWidth, withPad: " ", startingAt: 0) + "  " + row.2
        }.joined(separator: "\n")
    }

    /// The shape `/api/v1/query_range` answers, so tools that read Prometheus read this too:
    /// times in Unix seconds, values as strings.
    static func json(_ series: [SeriesSamples]) -> String {
        let result = series.map { entry in
            var metric = [("__name__", entry.key.name)]
            metric += entry.key.labels.map { ($0.name, $0.value) }
            let labels = metric.map { "\(JSONString.quoted($0.0)):\(JSONString.quoted($0.1))" }.joined(separator: ",")
            let values = entry.samples.map { sample in
                let seconds = Double(sample.timestamp) / 1000
                return "[\(seconds),\(JSONString.quoted(Self.text(sample.value)))]"
            }.joined(separator: ",")
            return #"{"metric":{\#(labels)},"values":[\#(values)]}"#
        }.joined(separator: ",")
        return #"{"status":"success","data":{"resultType":"matrix","result":[\#(result)]}}"#
    }

    /// A value as Prometheus prints one: `+Inf`, `-Inf`, `NaN`, integers without a fraction.
    static func text(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
