import Foundation
import ModelWatchProxy
import ModelWatchQuery
import ModelWatchStore

/// `modelwatch query`: evaluates PromQL over a store file, even one a running sidecar records
/// into, and prints the answer as a table or as the Prometheus HTTP API's JSON body.
///
/// Three modes: an instant query (`--time`, default now); a range query (`--step`, over `--start`
/// through `--end`); and, for a plain series selector with `--start`/`--end` but no step, or with
/// no time at all, the raw samples in that span (what `selector[range]` gives; the last hour by
/// default, as this command printed before it took PromQL).
public struct StoreQuery {
    /// How the answer is printed.
    public enum Format: String, CaseIterable, Sendable {
        case table
        case json
    }

    /// Why a query could not be answered: a bad time, expression or file.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, for the user.
        public let description: String
    }

    /// The store file.
    public var database: String
    /// The PromQL expression.
    public var expression: String
    /// The time of an instant query.
    public var time: String?
    /// The first time of a range.
    public var start: String?
    /// The last time of a range.
    public var end: String?
    /// The step of a range query.
    public var step: String?
    /// Table or JSON.
    public var format: Format

    /// A query as the command line gives it; times and step are the user's text.
    public init(
        database: String, expression: String, time: String? = nil, start: String? = nil, end: String? = nil, step: String? = nil,
        format: Format
    ) {
        self.database = database
        self.expression = expression
        self.time = time
        self.start = start
        self.end = end
        self.step = step
        self.format = format
    }

    /// Runs the query.
    /// - Parameter now: milliseconds since the epoch that `now` and relative times count from;
    ///   the current time when `nil`.
    /// - Returns: the text to print.
    /// - Throws: `Failure` with the reason (a parse error names the position: `1:16: parse error: …`).
    public func run(now: Int64? = nil) throws(Failure) -> String {
        let now = now ?? Int64((Date().timeIntervalSince1970 * 1000).rounded())
        let parse = { (text: String?) throws(Failure) -> Int64? in try text.map { text throws(Failure) in try Self.time(text, now: now) } }
        if self.time != nil && (self.start != nil || self.end != nil || self.step != nil) {
            throw Failure(description: "--time is for an instant query; it cannot be combined with --start, --end or --step")
        }
        let expression: PromQLExpression
        do {
            expression = try Parser.parse(self.expression)
        } catch {
            throw Failure(description: error.description)
        }
        // Every option is checked before the file is opened.
        enum Mode {
            case instant(Int64)
            case range(start: Int64, end: Int64, step: Int64)
            case raw(VectorSelector, start: Int64, end: Int64)
        }
        let mode: Mode
        if self.step != nil || self.start != nil || self.end != nil {
            let end = try parse(self.end) ?? now
            let start = try parse(self.start) ?? end - 3_600_000
            guard start <= end else { throw Failure(description: "--start is after --end") }
            if let stepText = self.step {
                let step = try Self.step(stepText)
                guard (end - start) / step <= 11_000 else {
                    throw Failure(description: "exceeded maximum resolution of 11,000 points per timeseries: try a larger --step")
                }
                guard expression.type == .vector || expression.type == .scalar else {
                    throw Failure(
                        description:
                            "invalid expression type \"\(expression.type.rawValue)\" for range query, must be Scalar or instant Vector")
                }
                mode = .range(start: start, end: end, step: step)
            } else {
                guard case .vectorSelector(let selector) = expression, selector.offset == 0, selector.at == nil else {
                    throw Failure(
                        description:
                            "--start/--end without --step print the raw samples of a series selector; give --step to evaluate an expression over a range"
                    )
                }
                mode = .raw(selector, start: start, end: end)
            }
        } else if self.time == nil, case .vectorSelector(let selector) = expression, selector.offset == 0, selector.at == nil {
            // A bare selector with no time at all prints the last hour of samples, as this command always has.
            mode = .raw(selector, start: now - 3_600_000, end: now)
        } else {
            mode = .instant(try parse(self.time) ?? now)
        }
        let value: QueryValue
        do {
            let store: TimeSeriesStore
            do {
                store = try TimeSeriesStore(readingFrom: self.database)
            } catch {
                throw Failure(description: error.description)
            }
            let engine = QueryEngine(source: StoreSeriesSource(store: store))
            switch mode {
            case .instant(let time):
                value = try engine.instantQuery(expression, at: time)
            case .range(let start, let end, let step):
                value = try engine.rangeQuery(expression, start: start, end: end, step: step)
            case .raw(let selector, let start, let end):
                value = try engine.instantQuery(.matrixSelector(selector, range: end - start, selector.position), at: end)
            }
        } catch let failure as Failure {
            throw failure
        } catch let error as QueryError {
            throw Failure(description: error.description)
        } catch {
            throw Failure(description: "\(error)")
        }
        switch self.format {
        case .table: return Self.table(value)
        case .json: return Self.json(value)
        }
    }

    /// Reads `now`, `now-15m` or `-15m` (before now), Unix seconds (`1767225600`, `1767225600.5`) or RFC 3339
    /// (`2026-01-01T00:00:00Z`), as milliseconds since the epoch.
    static func time(_ text: String, now: Int64) throws(Failure) -> Int64 {
        if text == "now" { return now }
        let relative = text.hasPrefix("now-") ? text.dropFirst(4) : text.hasPrefix("-") ? text.dropFirst() : nil
        if let relative, let ago = Parser.duration(String(relative)) {
            return now - ago
        }
        if let seconds = Double(text), seconds.isFinite {
            guard abs(seconds * 1000) <= Double(QueryEngine.latestTime) else { throw Failure(description: "`\(text)` is out of range") }
            return Int64((seconds * 1000).rounded())
        }
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        throw Failure(description: "`\(text)` is not a time: use now, now-15m, Unix seconds or RFC 3339 (2026-01-01T00:00:00Z)")
    }

    /// A step as the HTTP API takes it: a duration (`15s`, `1m`) or seconds (`15`, `0.5`).
    static func step(_ text: String) throws(Failure) -> Int64 {
        var milliseconds: Int64 = 0
        if let seconds = Double(text), seconds.isFinite, abs(seconds * 1000) <= Double(QueryEngine.latestTime) {
            milliseconds = Int64((seconds * 1000).rounded())
        } else if let duration = Parser.duration(text) {
            milliseconds = duration
        } else {
            throw Failure(description: "`\(text)` is not a step: use a duration (15s, 1m) or seconds")
        }
        guard milliseconds > 0 else {
            throw Failure(description: "zero or negative query resolution step widths are not accepted")
        }
        return milliseconds
    }

    /// One line per sample: series, RFC 3339 time, value; columns aligned.
    static func table(_ value: QueryValue) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func time(_ milliseconds: Int64) -> String {
            formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        }
        var rows: [(String, String, String)] = [("SERIES", "TIME", "VALUE")]
        switch value {
        case .scalar(let timestamp, let number):
            rows.append(("scalar", time(timestamp), GoFloat.format(number)))
        case .string(let timestamp, let text):
            rows.append(("string", time(timestamp), text))
        case .vector(let samples):
            for sample in samples { rows.append((sample.labels.description, time(sample.timestamp), GoFloat.format(sample.value))) }
        case .matrix(let series):
            for entry in series {
                for point in entry.points {
                    rows.append((entry.labels.description, time(point.timestamp), GoFloat.format(point.value)))
                }
            }
        }
        let width = rows.map(\.0.count).max() ?? 0
        let timeWidth = rows.map(\.1.count).max() ?? 0
        return rows.map { row in
            row.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + row.1.padding(toLength: timeWidth, withPad: " ", startingAt: 0) + "  " + row.2
        }.joined(separator: "\n")
    }

    /// The body `/api/v1/query` and `/api/v1/query_range` answer, as Prometheus 2.42 writes it:
    /// times in Unix seconds to the millisecond, values as strings in Go's float format.
    static func json(_ value: QueryValue) -> String {
        func metric(_ labels: Labels) -> String {
            "{" + labels.pairs.map { "\(JSONString.quoted($0.name)):\(JSONString.quoted($0.value))" }.joined(separator: ",") + "}"
        }
        func pair(_ timestamp: Int64, _ text: String) -> String {
            "[\(Self.timestamp(timestamp)),\(JSONString.quoted(text))]"
        }
        let result: String
        switch value {
        case .scalar(let timestamp, let number):
            result = pair(timestamp, GoFloat.format(number))
        case .string(let timestamp, let text):
            result = pair(timestamp, text)
        case .vector(let samples):
            result =
                "["
                + samples.map { #"{"metric":\#(metric($0.labels)),"value":\#(pair($0.timestamp, GoFloat.format($0.value)))}"# }
                .joined(separator: ",") + "]"
        case .matrix(let series):
            result =
                "["
                + series.map { entry in
                    let values = entry.points.map { pair($0.timestamp, GoFloat.format($0.value)) }.joined(separator: ",")
                    return #"{"metric":\#(metric(entry.labels)),"values":[\#(values)]}"#
                }.joined(separator: ",") + "]"
        }
        return #"{"status":"success","data":{"resultType":"\#(value.resultType)","result":\#(result)}}"#
    }

    /// Milliseconds as Prometheus writes a timestamp: seconds, and the milliseconds only when there are any (`1.5` is `1.500`).
    static func timestamp(_ milliseconds: Int64) -> String {
        let sign = milliseconds < 0 ? "-" : ""
        let magnitude = milliseconds.magnitude
        let fraction = magnitude % 1000
        guard fraction != 0 else { return "\(sign)\(magnitude / 1000)" }
        let digits = String(fraction)
        return "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - digits.count))\(digits)"
    }
}
