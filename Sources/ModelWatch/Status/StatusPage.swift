import Foundation
import ModelWatchDrift
import ModelWatchProxy
import ModelWatchQuery
import ModelWatchStore

/// The admin port's `/`: what an on-call engineer wants at a glance, per model and version —
/// traffic, errors, p99, the backend, drift per feature, alerts — with small charts of the last
/// hour; `/models/<model>` shows one model's drift in detail.
///
/// Everything shown comes from the store through the query engine on the read plane (the same
/// numbers the HTTP API and Grafana get), except the backend's readiness, which is live. The page
/// is plain server-rendered HTML with inline CSS and SVG: no script, no external asset, so it works
/// offline, with JavaScript off and behind any proxy.
struct StatusPage: Sendable {
    let readPlane: ReadPlane
    let readiness: ReadinessProbe?
    let thresholds: DriftThresholds
    /// Models configured with a baseline: without statistics yet, they are waiting for their first minute.
    let baselineModels: Set<String>
    let storagePath: String
    var now: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// The page for a path under `/`, or `nil` when the path is not the status page's.
    func respond(to path: String) async -> (status: Int, html: String)? {
        if path == "/" || path == "/index.html" {
            do {
                return (200, StatusHTML.overview(try await self.overview(), version: Sidecar.version))
            } catch {
                return (503, StatusHTML.failure("The history cannot be read right now: \(error)"))
            }
        }
        guard path.hasPrefix("/models/") else { return nil }
        let model = APIRequest.percentDecoded(path.dropFirst("/models/".count), plusIsSpace: false)
        do {
            let overview = try await self.overview()
            guard overview.rows.contains(where: { $0.model == model }) else {
                return (404, StatusHTML.notFound(model))
            }
            return (200, StatusHTML.model(model, overview: overview, drift: try await self.drift(of: model), version: Sidecar.version))
        } catch {
            return (503, StatusHTML.failure("The history cannot be read right now: \(error)"))
        }
    }

    // MARK: What the page shows

    /// One model and version's line on the overview.
    struct Row: Sendable {
        var model: String
        var version: String
        var requests: Double = 0
        var rate: Double = 0
        var errorRatio: Double?
        var p99: Double?
        /// Shadow comparisons over the last hour, when the model is shadowed.
        var shadow: ShadowSummary?
        var rateChart: [Point] = []
        var p99Chart: [Point] = []
    }

    /// How the backend's answers compared with the shadow's over the last hour.
    struct ShadowSummary: Sendable {
        var matched: Double = 0
        var mismatched: Double = 0
        var errors: Double = 0
        /// Matches among the comparisons that ran; `nil` before any did.
        var matchRate: Double? { self.matched + self.mismatched > 0 ? self.matched / (self.matched + self.mismatched) : nil }
    }

    /// One feature's (or output's) drift statistics and verdict.
    struct FeatureDrift: Sendable {
        var name: String
        var isOutput: Bool
        var statistics: [(DriftStatistic, Double)]
        var verdict: String
        var psiChart: [Point]
    }

    struct Alert: Sendable {
        var name: String
        var state: String
        var labels: String
    }

    struct Overview: Sendable {
        var rows: [Row]
        var backend: (ready: Bool, detail: String)?
        var driftVerdicts: [String: [(feature: String, verdict: String)]]
        var baselineModels: Set<String> = []
        var alerts: [Alert]
        var storagePath: String
        var time: Int64
    }

    func overview() async throws -> Overview {
        let time = self.now()
        let thresholds = self.thresholds
        var overview = try await self.readPlane.read { store in
            let engine = QueryEngine(source: StoreSeriesSource(store: store))
            func vector(_ query: String) throws -> [VectorSample] {
                guard case .vector(let samples) = try engine.instantQuery(query, at: time) else { return [] }
                return samples
            }
            func matrix(_ query: String) throws -> [Series] {
                guard case .matrix(let series) = try engine.rangeQuery(query, start: time - 3_600_000, end: time, step: 30_000) else {
                    return []
                }
                return series
            }
            var rows: [String: Row] = [:]
            func row(_ labels: Labels) -> String {
                let key = labels["model"] + "\u{0}" + labels["version"]
                if rows[key] == nil { rows[key] = Row(model: labels["model"], version: labels["version"]) }
                return key
            }
            for sample in try vector("sum by (model, version) (modelwatch_requests_total)") {
                rows[row(sample.labels)]?.requests = sample.value
            }
            for sample in try vector("sum by (model, version) (rate(modelwatch_requests_total[5m]))") {
                rows[row(sample.labels)]?.rate = sample.value
            }
            for sample in try vector(
                #"sum by (model, version) (rate(modelwatch_requests_total{code!~"2.."}[5m])) / sum by (model, version) (rate(modelwatch_requests_total[5m]))"#
            ) {
                rows[row(sample.labels)]?.errorRatio = sample.value
            }
            let quantile = "histogram_quantile(0.99, sum by (model, version, le) (rate(modelwatch_request_duration_seconds_bucket[5m])))"
            for sample in try vector(quantile) { rows[row(sample.labels)]?.p99 = sample.value }
            for series in try matrix("sum by (model, version) (rate(modelwatch_requests_total[5m]))") {
                rows[row(series.labels)]?.rateChart = series.points
            }
            for series in try matrix(quantile) { rows[row(series.labels)]?.p99Chart = series.points }
            for sample in try vector("sum by (model, version, result) (increase(modelwatch_shadow_comparisons_total[1h]))") {
                let key = row(sample.labels)
                var shadow = rows[key]?.shadow ?? ShadowSummary()
                switch sample.labels["result"] {
                case "match": shadow.matched += sample.value
                case "mismatch": shadow.mismatched += sample.value
                default: shadow.errors += sample.value
                }
                rows[key]?.shadow = shadow
            }

            var verdicts: [String: [(feature: String, verdict: String)]] = [:]
            var statistics: [String: [String: [DriftStatistic: Double]]] = [:]
            for sample in try vector(#"{__name__=~"modelwatch_(feature|output)_drift"}"#) {
                guard let statistic = DriftStatistic(rawValue: sample.labels["statistic"]) else { continue }
                let name = sample.labels["feature"].isEmpty ? sample.labels["output"] : sample.labels["feature"]
                statistics[sample.labels["model"], default: [:]][name, default: [:]][statistic] = sample.value
            }
            for (model, features) in statistics {
                verdicts[model] = features.keys.sorted().map { ($0, Self.verdict(features[$0] ?? [:], thresholds)) }
            }
            let alerts = try vector("ALERTS").map { sample in
                Alert(
                    name: sample.labels["alertname"], state: sample.labels["alertstate"],
                    labels: sample.labels.pairs.filter { !["__name__", "alertname", "alertstate"].contains($0.name) }
                        .map { "\($0.name)=\($0.value)" }.joined(separator: ", "))
            }
            return Overview(
                rows: rows.values.sorted { ($0.model, $0.version) < ($1.model, $1.version) }, backend: nil, driftVerdicts: verdicts,
                alerts: alerts.sorted { ($0.state, $0.name) > ($1.state, $1.name) }, storagePath: "", time: time)
        }
        if let readiness = self.readiness {
            let status = readiness.status
            overview.backend = (status.isReady, status.detail)
        }
        overview.storagePath = self.storagePath
        overview.baselineModels = self.baselineModels
        return overview
    }

    /// Every statistic of a model's features and outputs now, with a chart of PSI over the hour.
    func drift(of model: String) async throws -> [FeatureDrift] {
        let time = self.now()
        let thresholds = self.thresholds
        let quoted = PromQLString.quoted(model)
        return try await self.readPlane.read { store in
            let engine = QueryEngine(source: StoreSeriesSource(store: store))
            var features: [String: (isOutput: Bool, statistics: [DriftStatistic: Double], chart: [Point])] = [:]
            if case .vector(let samples) = try engine.instantQuery(
                #"{__name__=~"modelwatch_(feature|output)_drift",model=\#(quoted)}"#, at: time)
            {
                for sample in samples {
                    guard let statistic = DriftStatistic(rawValue: sample.labels["statistic"]) else { continue }
                    let isOutput = sample.labels["__name__"] == "modelwatch_output_drift"
                    let name = isOutput ? sample.labels["output"] : sample.labels["feature"]
                    features[name, default: (isOutput, [:], [])].statistics[statistic] = sample.value
                }
            }
            if case .matrix(let series) = try engine.rangeQuery(
                #"{__name__=~"modelwatch_(feature|output)_drift",model=\#(quoted),statistic="psi"}"#, start: time - 3_600_000, end: time,
                step: 60_000)
            {
                for entry in series {
                    let name = entry.labels["feature"].isEmpty ? entry.labels["output"] : entry.labels["feature"]
                    features[name]?.chart = entry.points
                }
            }
            return features.keys.sorted().compactMap { name in
                guard let entry = features[name] else { return nil }
                return FeatureDrift(
                    name: name, isOutput: entry.isOutput, statistics: entry.statistics.sorted { $0.key < $1.key },
                    verdict: Self.verdict(entry.statistics, thresholds), psiChart: entry.chart)
            }
        }
    }

    /// The verdict the drift gauges imply: NaN statistics mean the window had too few values.
    static func verdict(_ statistics: [DriftStatistic: Double], _ thresholds: DriftThresholds) -> String {
        if statistics.isEmpty || statistics.values.allSatisfy(\.isNaN) { return DriftVerdict.insufficientData.rawValue }
        return thresholds.verdict(statistics).rawValue
    }
}

/// A PromQL string literal.
enum PromQLString {
    static func quoted(_ text: String) -> String {
        var result = "\""
        for character in text.unicodeScalars {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            default: result.unicodeScalars.append(character)
            }
        }
        return result + "\""
    }
}
