import Foundation
import ModelWatchQuery
public import ModelWatchStore

/// `modelwatch shadow`: a model's shadow comparisons over a window of a store file — the match
/// rate, error percentiles per output, and the latest mismatches with the values that differed.
public struct ShadowQuery {
    /// Why the report could not be made: a bad time or file.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public var database: String
    public var model: String
    /// The window's first time (default: an hour before its end).
    public var start: String?
    /// The window's last time (default: now).
    public var end: String?
    /// How many of the latest mismatches are printed.
    public var mismatches: Int

    public init(database: String, model: String, start: String? = nil, end: String? = nil, mismatches: Int = 5) {
        self.database = database
        self.model = model
        self.start = start
        self.end = end
        self.mismatches = mismatches
    }

    /// What the window holds, as numbers.
    public struct Report: Sendable {
        /// Comparisons by result (`match`, `mismatch`, `error`).
        public var comparisons: [String: Double]
        public var skipped: [String: Double]
        public var errors: [String: Double]
        /// Per output: cumulative bucket counts by upper bound, absolute and relative error.
        public var absoluteErrors: [String: [(upperBound: Double, count: Double)]]
        public var relativeErrors: [String: [(upperBound: Double, count: Double)]]
        public var latest: [ShadowMismatchRecord]

        /// Matches among comparisons that compared (errors compare nothing); `nil` before any.
        public var matchRate: Double? {
            let compared = (self.comparisons["match"] ?? 0) + (self.comparisons["mismatch"] ?? 0)
            return compared > 0 ? (self.comparisons["match"] ?? 0) / compared : nil
        }
    }

    /// The percentiles printed per output.
    public static let quantiles: [Double] = [0.5, 0.9, 0.99, 1]

    public func run(now: Int64? = nil) throws(Failure) -> String {
        let (start, end) = try self.window(now: now)
        let report = try self.report(start: start, end: end)
        return Self.text(report, model: self.model, start: start, end: end)
    }

    func window(now: Int64?) throws(Failure) -> (Int64, Int64) {
        let now = now ?? Int64((Date().timeIntervalSince1970 * 1000).rounded())
        func time(_ text: String?, default value: Int64) throws(Failure) -> Int64 {
            guard let text else { return value }
            do {
                return try StoreQuery.time(text, now: now)
            } catch {
                throw Failure(description: error.description)
            }
        }
        let end = try time(self.end, default: now)
        let start = try time(self.start, default: end - 3_600_000)
        guard start <= end else { throw Failure(description: "--start is after --end") }
        return (start, end)
    }

    /// The numbers of the window `[start, end]` (Unix milliseconds).
    public func report(start: Int64, end: Int64) throws(Failure) -> Report {
        do {
            let store = try TimeSeriesStore(readingFrom: self.database)
            func increases(_ name: String, by label: String) throws(StoreError) -> [String: Double] {
                var totals: [String: Double] = [:]
                let selector = SeriesSelector(matchers: [
                    try LabelMatcher("__name__", .equal, name), try LabelMatcher("model", .equal, self.model),
                ])
                for series in try store.select(selector, from: 0, through: end) {
                    totals[series.key[label: label], default: 0] += Self.increase(series.samples, from: start)
                }
                return totals
            }
            func buckets(_ name: String) throws(StoreError) -> [String: [(upperBound: Double, count: Double)]] {
                var byOutput: [String: [Double: Double]] = [:]
                let selector = SeriesSelector(matchers: [
                    try LabelMatcher("__name__", .equal, name), try LabelMatcher("model", .equal, self.model),
                ])
                for series in try store.select(selector, from: 0, through: end) {
                    guard let bound = Double(series.key[label: "le"].replacingOccurrences(of: "+Inf", with: "inf")) else { continue }
                    byOutput[series.key[label: "output"], default: [:]][bound, default: 0] += Self.increase(series.samples, from: start)
                }
                return byOutput.mapValues { buckets in buckets.sorted { $0.key < $1.key }.map { (upperBound: $0.key, count: $0.value) } }
            }
            return Report(
                comparisons: try increases("modelwatch_shadow_comparisons_total", by: "result"),
                skipped: try increases("modelwatch_shadow_skipped_total", by: "reason"),
                errors: try increases("modelwatch_shadow_errors_total", by: "reason"),
                absoluteErrors: try buckets("modelwatch_shadow_abs_error_bucket"),
                relativeErrors: try buckets("modelwatch_shadow_rel_error_bucket"),
                latest: try store.shadowMismatches(model: self.model, from: start, through: end, limit: self.mismatches))
        } catch {
            throw Failure(description: error.description)
        }
    }

    /// What a counter added from `start` to its last sample: exact (no extrapolation), resets
    /// counted as restarts from zero, and a series first seen inside the window counted from zero.
    static func increase(_ samples: [Sample], from start: Int64) -> Double {
        var previous: Double? = samples.last { $0.timestamp < start }?.value
        var total = 0.0
        for sample in samples where sample.timestamp >= start && !sample.value.isNaN {
            let before = previous ?? 0
            total += sample.value >= before ? sample.value - before : sample.value
            previous = sample.value
        }
        return total
    }

    static func text(_ report: Report, model: String, start: Int64, end: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        func time(_ milliseconds: Int64) -> String { formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)) }
        func count(_ value: Double) -> String { String(Int64(value.rounded())) }
        func number(_ value: Double) -> String { value.isNaN ? "-" : String(format: "%.3g", value) }
        var lines = ["model \(model), \(time(start)) to \(time(end))"]
        let (matches, mismatches, errors) = (
            report.comparisons["match"] ?? 0, report.comparisons["mismatch"] ?? 0, report.comparisons["error"] ?? 0
        )
        lines.append(
            "comparisons: \(count(matches + mismatches + errors)) (match \(count(matches)), mismatch \(count(mismatches)), error \(count(errors)))"
        )
        lines.append("match rate: " + (report.matchRate.map { String(format: "%.3f%%", $0 * 100) } ?? "- (nothing compared)"))
        let skipped = report.skipped.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        if !skipped.isEmpty { lines.append("skipped: " + skipped.map { "\($0.key) \(count($0.value))" }.joined(separator: ", ")) }
        let failed = report.errors.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        if !failed.isEmpty { lines.append("errors: " + failed.map { "\($0.key) \(count($0.value))" }.joined(separator: ", ")) }
        for (title, histograms) in [("absolute error", report.absoluteErrors), ("relative error", report.relativeErrors)]
        where !histograms.isEmpty {
            lines.append(
                "\(title) per output (" + Self.quantiles.map { $0 == 1 ? "max bucket" : "p\(Int($0 * 100))" }.joined(separator: ", ") + "):"
            )
            for (output, buckets) in histograms.sorted(by: { $0.key < $1.key }) {
                let values = Self.quantiles.map { number(HistogramQuantile.quantile($0, buckets: buckets)) }
                lines.append("  \(output): " + values.joined(separator: "  ") + "  (\(count(buckets.last?.count ?? 0)) rows)")
            }
        }
        lines.append(report.latest.isEmpty ? "no mismatch kept in this window" : "latest mismatches:")
        for record in report.latest {
            lines.append("- \(time(record.timestamp)) version \(record.version.isEmpty ? "-" : record.version), outputs \(record.outputs)")
            if let data = record.differences.data(using: .utf8),
                let entries = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
            {
                for entry in entries {
                    let output = entry["output"] as? String ?? "?"
                    if let reason = entry["reason"] as? String {
                        lines.append("    \(output): \(reason)")
                        continue
                    }
                    var line =
                        "    \(output) row \(entry["row"] ?? "?"): backend \(entry["backend"] ?? "?"), shadow \(entry["shadow"] ?? "?")"
                    if let error = entry["abs_error"] as? Double { line += " (abs error \(number(error)))" }
                    lines.append(line)
                }
            }
            lines.append("    request: " + Self.excerpt(record.request))
            lines.append("    backend answered: " + Self.excerpt(record.backendAnswer))
            lines.append("    shadow answered: " + Self.excerpt(record.shadowAnswer))
        }
        return lines.joined(separator: "\n")
    }

    /// A payload on one line, cut at 300 characters.
    static func excerpt(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        return text.count <= 300 ? text : String(text.prefix(300)) + "… (\(bytes.count) bytes)"
    }
}
