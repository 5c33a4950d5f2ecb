import Foundation
public import ModelWatchDrift
import ModelWatchStore

/// `modelwatch baseline build` and `baseline capture`: baselines from a reference data file or
/// from the samples a store recorded of live traffic.
public enum BaselineFiles {
    /// Why a baseline could not be made.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Builds a baseline from a CSV or JSON-lines file and writes it to `output`.
    /// - Parameters:
    ///   - features: the feature columns; every column not named an output when empty.
    ///   - outputs: columns holding the model's outputs (labels, scores).
    /// - Returns: a one-line summary.
    public static func build(
        model: String, input: String, features: [String], outputs: [String], builder: BaselineBuilder, output: String
    ) throws(Failure) -> String {
        do {
            let table = try ReferenceTable.read(path: input)
            let featureNames = features.isEmpty ? table.columns.filter { !outputs.contains($0) } : features
            let used = Set(featureNames + outputs)
            if let stray = builder.categorical.sorted().first(where: { !used.contains($0) }) {
                throw Failure(
                    description:
                        "--categorical \(stray): not a feature or output of this baseline (columns used: \((featureNames + outputs).joined(separator: ", ")))"
                )
            }
            // Quantile edges need more rows than bins; fewer make every statistic meaningless.
            let minimumRows = max(builder.bins, Self.minimumRows)
            guard table.rowCount >= minimumRows else {
                throw Failure(
                    description:
                        "\(input) has \(table.rowCount) rows; a baseline needs at least \(minimumRows) (its \(builder.bins) quantile bins per feature, and enough values to tell drift from noise)"
                )
            }
            func columns(_ names: [String]) throws(Failure) -> [(name: String, values: [FeatureValue])] {
                var columns: [(name: String, values: [FeatureValue])] = []
                for name in names {
                    guard let values = table.values(of: name) else {
                        throw Failure(description: "\(input) has no column \"\(name)\" (columns: \(table.columns.joined(separator: ", ")))")
                    }
                    columns.append((name, values))
                }
                return columns
            }
            let baseline = try builder.build(
                model: model, source: input, createdAt: Self.now(), features: try columns(featureNames), outputs: try columns(outputs))
            try Self.write(baseline, to: output)
            var summary =
                "baseline for \(model): \(baseline.features.count) features, \(baseline.outputs.count) outputs, \(table.rowCount) rows -> \(output)"
            if table.rowCount < Self.recommendedRows {
                summary +=
                    "\nwarning: \(table.rowCount) reference rows is few; bins this coarse make small live windows look like drift (\(Self.recommendedRows) or more recommended)"
            }
            return summary
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "\(error)")
        }
    }

    /// Fewer reference rows than this are refused: ten quantile bins of one row each say nothing.
    public static let minimumRows = 20
    /// Fewer reference rows than this build a baseline with a warning.
    public static let recommendedRows = 100

    /// Builds a baseline from the raw-value samples a sidecar stored for `model` in `[start, end)`.
    public static func capture(
        database: String, model: String, start: String?, end: String?, builder: BaselineBuilder, output: String, now: Int64? = nil
    ) throws(Failure) -> String {
        let now = now ?? Int64((Date().timeIntervalSince1970 * 1000).rounded())
        let range: (start: Int64, end: Int64)
        do {
            let endTime = try end.map { text throws(StoreQuery.Failure) in try StoreQuery.time(text, now: now) } ?? now
            let startTime = try start.map { text throws(StoreQuery.Failure) in try StoreQuery.time(text, now: now) } ?? endTime - 3_600_000
            range = (startTime, endTime)
        } catch {
            throw Failure(description: error.description)
        }
        do {
            let records = try TimeSeriesStore(readingFrom: database).driftMinutes(model: model, from: range.start, before: range.end)
            var minutes: [String: (role: FeatureRole, minutes: [FeatureMinute])] = [:]
            var order: [String] = []
            for record in records {
                guard let role = FeatureRole(rawValue: record.role), let data = FeatureMinute(decoding: record.data) else { continue }
                if minutes[record.name] == nil { order.append(record.name) }
                minutes[record.name, default: (role, [])].minutes.append(data)
            }
            guard !order.isEmpty else {
                throw Failure(description: "\(database) holds no drift samples of model \"\(model)\" in that window")
            }
            var features: [(name: String, values: [FeatureValue])] = []
            var outputs: [(name: String, values: [FeatureValue])] = []
            for name in order {
                guard let entry = minutes[name] else { continue }
                let column = (name: name, values: DriftEvaluator.windowSample(entry.minutes))
                if entry.role == .feature { features.append(column) } else { outputs.append(column) }
            }
            let baseline = try builder.build(
                model: model, source: "\(database) \(range.start)..\(range.end)", createdAt: Self.now(), features: features,
                outputs: outputs)
            try Self.write(baseline, to: output)
            return
                "baseline for \(model) captured from \(records.count) stored minutes: \(features.count) features, \(outputs.count) outputs -> \(output)"
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "\(error)")
        }
    }

    private static func write(_ baseline: Baseline, to path: String) throws(Failure) {
        do {
            try LocalFile.write(Array(baseline.encoded()), to: path)
        } catch {
            throw Failure(description: "cannot write \(error.description)")
        }
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}
