import Foundation
public import ModelWatchDrift
import ModelWatchStore

/// `modelwatch drift`: judges a window of a model's stored minutes against the baseline the
/// sidecar stored with them, exactly as the live gauges do.
public struct DriftQuery {
    /// Why the question could not be answered.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public var database: String
    public var model: String
    public var settings: DriftSettings
    /// The window's end (`now`, `now-2h`, Unix seconds, RFC 3339); now when `nil`.
    public var at: String?

    /// Where the settings came from, shown in the report's first line (`stored by the sidecar`).
    public var settingsSource: String?

    public init(database: String, model: String, settings: DriftSettings, at: String?, settingsSource: String? = nil) {
        self.database = database
        self.model = model
        self.settings = settings
        self.at = at
        self.settingsSource = settingsSource
    }

    /// The drift settings the sidecar that recorded `database` last ran with; `nil` for a file
    /// recorded before settings were kept.
    public static func storedSettings(database: String) throws(Failure) -> (settings: DriftSettings, savedAt: Int64)? {
        do {
            guard let stored = try TimeSeriesStore(readingFrom: database).setting(name: "drift") else { return nil }
            return (try DriftSettings.decode(stored.document, source: database), stored.savedAt)
        } catch {
            throw Failure(description: "\(error)")
        }
    }

    /// - Returns: the table to print.
    public func run(now: Int64? = nil) throws(Failure) -> String {
        let report = try self.report(now: now)
        var rows: [[String]] = [["NAME", "ROLE", "SAMPLES", "STATISTIC", "VALUE", "THRESHOLD", "VERDICT"]]
        for entry in report.entries {
            if entry.verdict == .insufficientData {
                rows.append([
                    entry.name, entry.role.rawValue, "\(entry.samples)", "-", "-", "min \(self.settings.thresholds.minimumSamples)",
                    entry.verdict.rawValue,
                ])
                continue
            }
            for (statistic, value) in entry.values.sorted(by: { $0.key < $1.key }) {
                let threshold = self.settings.thresholds.alert[statistic].map { (statistic.driftsWhenBelow ? "< " : ">= ") + Self.text($0) }
                let verdict = self.settings.thresholds.crosses(statistic, value) ? "drift" : threshold == nil ? "" : "ok"
                rows.append([
                    entry.name, entry.role.rawValue, "\(entry.samples)", statistic.rawValue, Self.text(value), threshold ?? "-",
                    statistic == .psi && verdict == "ok" && value >= self.settings.thresholds.psiWarn ? "warn" : verdict,
                ])
            }
            rows.append([entry.name, entry.role.rawValue, "\(entry.samples)", "missing_ratio", Self.text(entry.missingRatio), "-", ""])
            rows.append([entry.name, entry.role.rawValue, "\(entry.samples)", "verdict", "", "", entry.verdict.rawValue])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        let formatter = ISO8601DateFormatter()
        lines.insert(
            "model \(self.model), window \(formatter.string(from: Date(timeIntervalSince1970: Double(report.start) / 1000)))"
                + " .. \(formatter.string(from: Date(timeIntervalSince1970: Double(report.end) / 1000))), method \(self.settings.method.rawValue)"
                + (self.settingsSource.map { ", settings \($0)" } ?? ""),
            at: 0)
        lines.append("dataset drift share: \(report.driftShare.map { Self.text($0) } ?? "insufficient data")")
        return lines.joined(separator: "\n")
    }

    /// The report over the window ending at `at`.
    public func report(now: Int64? = nil) throws(Failure) -> ModelDriftReport {
        let now = now ?? Int64((Date().timeIntervalSince1970 * 1000).rounded())
        let end: Int64
        do {
            end = try self.at.map { text throws(StoreQuery.Failure) in try StoreQuery.time(text, now: now) } ?? now
        } catch {
            throw Failure(description: error.description)
        }
        // Minutes that started in [end − window, end): with `end` on a minute boundary that is
        // exactly the window the live gauges judged then; with `now`, the live minute a stopped
        // sidecar sealed is included.
        let windowEnd = end
        let windowStart = windowEnd - Int64(self.settings.windowMinutes) * 60_000
        do {
            let store = try TimeSeriesStore(readingFrom: self.database)
            let records = try store.driftMinutes(model: self.model, from: windowStart, before: windowEnd)
            // The baseline of the newest minute in the window judges the window; a window that
            // spans a baseline change is judged on the newer one's minutes only.
            let identifier = records.last(where: { !$0.baseline.isEmpty })?.baseline
            guard let stored = try store.baseline(model: self.model, id: identifier) else {
                throw Failure(description: "\(self.database) holds no baseline for model \"\(self.model)\"")
            }
            let baseline = try Baseline.decode(Data(stored.document), source: "the baseline stored in \(self.database)")
            var minutes: [String: [FeatureMinute]] = [:]
            for record in records where record.baseline == stored.id {
                if let data = FeatureMinute(decoding: record.data) { minutes[record.role + "/" + record.name, default: []].append(data) }
            }
            let evaluator = DriftEvaluator(settings: self.settings)
            var entries: [FeatureDrift] = []
            for (role, references) in [(FeatureRole.feature, baseline.features), (.output, baseline.outputs)] {
                for reference in references {
                    entries.append(evaluator.evaluate(reference, role: role, minutes: minutes[role.rawValue + "/" + reference.name] ?? []))
                }
            }
            return ModelDriftReport(model: self.model, start: windowStart, end: windowEnd, entries: entries)
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "\(error)")
        }
    }

    /// Reads a window length in whole minutes (`30m`, `1h`, `1d`).
    public static func minutes(_ text: String) -> Int? {
        guard let duration = ValueSyntax.duration(text), duration.components.attoseconds == 0,
            duration.components.seconds % 60 == 0, duration.components.seconds >= 60
        else { return nil }
        return Int(duration.components.seconds / 60)
    }

    static func text(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == 0 || (abs(value) >= 0.001 && abs(value) < 1e6) { return String(format: "%.4f", value) }
        return String(format: "%.3e", value)
    }
}
