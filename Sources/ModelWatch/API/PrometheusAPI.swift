import Foundation
import ModelWatchMetrics
import ModelWatchProxy
import ModelWatchQuery
import ModelWatchStore

/// Prometheus's HTTP query API (2.42) over the store: `query`, `query_range`, `series`, `labels`,
/// `label/<name>/values`, `metadata`, `status/buildinfo` (and an empty `query_exemplars`, which
/// Grafana asks for), with Prometheus's JSON, error types and status codes, so Grafana's Prometheus
/// data source and any Prometheus client work against ModelWatch itself.
///
/// Every read goes through the read plane; nothing here blocks the caller's thread.
struct PrometheusAPI: Sendable {
    /// The version Grafana and clients are told, which decides the features they use: the
    /// Prometheus release whose API and PromQL this answers as.
    static let compatibleVersion = "2.42.0"

    let readPlane: ReadPlane
    let options: QueryConfiguration
    /// The catalogue whose help text and types `metadata` reports; `nil` serving a file alone.
    let catalogue: MetricCatalogue?
    /// The rule groups' latest state, for `rules` and `alerts`; `nil` without rules.
    var rules: RuleStatusBoard? = nil
    /// Milliseconds since the epoch; a parameter so tests can pin it.
    var now: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// Answers one request.
    func respond(to request: APIRequest) async -> APIResponse {
        guard request.method == "GET" || request.method == "POST" || request.method == "HEAD" else {
            return APIResponse.error(.badData, "method \(request.method) not allowed; use GET or POST")
        }
        let path = request.path.hasPrefix("/api/v1/") ? String(request.path.dropFirst("/api/v1/".count)) : ""
        do {
            switch path {
            case "query": return try await self.instantQuery(request)
            case "query_range": return try await self.rangeQuery(request)
            case "series": return try await self.series(request)
            case "labels": return try await self.labelNames(request)
            case "metadata": return self.metadata(request)
            case "status/buildinfo": return self.buildInfo()
            case "query_exemplars": return .success("[]")
            case "rules": return self.rules(request)
            case "alerts": return self.alerts()
            default:
                if path.hasPrefix("label/"), path.hasSuffix("/values") {
                    let name = String(path.dropFirst("label/".count).dropLast("/values".count))
                    return try await self.labelValues(name, request)
                }
                return APIResponse(status: 404, body: #"{"status":"error","errorType":"not_found","error":"unknown API endpoint"}"#)
            }
        } catch let failure as Failure {
            return .error(failure.type, failure.message)
        } catch let error as QueryError {
            return .error(Self.errorType(of: error), error.description)
        } catch let error as ReadPlaneError {
            switch error {
            case .overloaded: return .error(.unavailable, error.description)
            case .unavailable: return .error(.internal, error.description)
            }
        } catch {
            return .error(.internal, "\(error)")
        }
    }

    // MARK: Queries

    private func instantQuery(_ request: APIRequest) async throws -> APIResponse {
        let text = try self.expression(request)
        let time = try request["time"].map { try self.time($0, parameter: "time") } ?? self.now()
        let expression = try Parser.parse(text)
        let options = try self.engineOptions(request)
        let value = try await self.readPlane.read { store in
            try QueryEngine(source: StoreSeriesSource(store: store), options: options).instantQuery(expression, at: time)
        }
        return APIResponse(status: 200, body: StoreQuery.json(value))
    }

    private func rangeQuery(_ request: APIRequest) async throws -> APIResponse {
        let text = try self.expression(request)
        let start = try self.time(try self.required(request, "start"), parameter: "start")
        let end = try self.time(try self.required(request, "end"), parameter: "end")
        guard end >= start else { throw Failure(.badData, "end timestamp must not be before start time") }
        let stepText = try self.required(request, "step")
        let step: Int64
        do {
            step = try StoreQuery.step(stepText)
        } catch {
            throw Failure(.badData, "invalid parameter \"step\": cannot parse \"\(stepText)\" to a valid duration")
        }
        // Prometheus's own bound: a point per step and series, at most 11,000 of them.
        guard (end - start) / step <= 11_000 else {
            throw Failure(
                .badData, "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        let expression = try Parser.parse(text)
        let options = try self.engineOptions(request)
        let value = try await self.readPlane.read { store in
            try QueryEngine(source: StoreSeriesSource(store: store), options: options)
                .rangeQuery(expression, start: start, end: end, step: step)
        }
        return APIResponse(status: 200, body: StoreQuery.json(value))
    }

    private func expression(_ request: APIRequest) throws(Failure) -> String {
        guard let text = request["query"], !text.isEmpty else {
            throw Failure(.badData, "invalid parameter \"query\": unknown position: parse error: no expression found in input")
        }
        return text
    }

    /// The configured limits, with a shorter `timeout` parameter honoured as Prometheus does.
    private func engineOptions(_ request: APIRequest) throws(Failure) -> QueryEngine.Options {
        var options = QueryEngine.Options()
        options.maxSamples = self.options.maxSamples
        options.timeout = self.options.timeout
        if let text = request["timeout"] {
            guard let milliseconds = try? StoreQuery.step(text) else {
                throw Failure(.badData, "invalid parameter \"timeout\": cannot parse \"\(text)\" to a valid duration")
            }
            options.timeout = min(options.timeout, .milliseconds(milliseconds))
        }
        return options
    }

    // MARK: Series and labels

    private func series(_ request: APIRequest) async throws -> APIResponse {
        let selectors = try self.selectors(request)
        guard !selectors.isEmpty else { throw Failure(.badData, "no match[] parameter provided") }
        let (start, end) = try self.span(request)
        let keys = try await self.readPlane.read { store in
            try store.seriesKeys(matching: try selectors.map(SeriesSelector.init(parsing:)), from: start, through: end)
        }
        let sets = keys.map { key in
            "{" + Labels(key).pairs.map { "\(JSONString.quoted($0.name)):\(JSONString.quoted($0.value))" }.joined(separator: ",") + "}"
        }
        return .success("[" + sets.joined(separator: ",") + "]")
    }

    private func labelNames(_ request: APIRequest) async throws -> APIResponse {
        let keys = try await self.keys(request)
        var names = Set<String>()
        for key in keys {
            names.insert("__name__")
            for label in key.labels where !label.value.isEmpty { names.insert(label.name) }
        }
        return .success(Self.stringArray(names.sorted()))
    }

    private func labelValues(_ name: String, _ request: APIRequest) async throws -> APIResponse {
        guard Self.isLabelName(name) else { throw Failure(.badData, "invalid label name: \"\(name)\"") }
        let keys = try await self.keys(request)
        var values = Set<String>()
        for key in keys {
            let value = name == "__name__" ? key.name : key[label: name]
            if !value.isEmpty { values.insert(value) }
        }
        return .success(Self.stringArray(values.sorted()))
    }

    /// The series `match[]` selects in the span, or every series when none is given.
    private func keys(_ request: APIRequest) async throws -> [SeriesKey] {
        let given = try self.selectors(request)
        let selectors = given.isEmpty ? [#"{__name__=~".+"}"#] : given
        let (start, end) = try self.span(request)
        return try await self.readPlane.read { store in
            try store.seriesKeys(matching: try selectors.map(SeriesSelector.init(parsing:)), from: start, through: end)
        }
    }

    /// The `match[]` selectors, each checked here; they cross to the reader as text, since a
    /// compiled regular expression may not.
    private func selectors(_ request: APIRequest) throws(Failure) -> [String] {
        let texts = request.all("match[]")
        for text in texts {
            do {
                _ = try SeriesSelector(parsing: text)
            } catch {
                throw Failure(.badData, "invalid parameter \"match[]\": \(error)")
            }
        }
        return texts
    }

    /// `start` and `end`, each defaulting to the whole history as in Prometheus.
    private func span(_ request: APIRequest) throws(Failure) -> (Int64, Int64) {
        let start = try request["start"].map { text throws(Failure) in try self.time(text, parameter: "start") } ?? Int64.min / 2
        let end = try request["end"].map { text throws(Failure) in try self.time(text, parameter: "end") } ?? Int64.max / 2
        return (start, end)
    }

    // MARK: Metadata and build information

    /// Type and help of every family the sidecar exports, from its own exposition.
    private func metadata(_ request: APIRequest) -> APIResponse {
        guard let catalogue = self.catalogue else { return .success("{}") }
        var families: [(name: String, type: String, help: String)] = []
        var index: [String: Int] = [:]
        for line in String(decoding: catalogue.exposition(), as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count >= 3, parts[0] == "#", parts[1] == "HELP" || parts[1] == "TYPE" else { continue }
            let name = String(parts[2])
            let rest = parts.count > 3 ? String(parts[3]) : ""
            let position =
                index[name]
                ?? {
                    families.append((name, "unknown", ""))
                    index[name] = families.count - 1
                    return families.count - 1
                }()
            if parts[1] == "HELP" { families[position].help = rest } else { families[position].type = rest }
        }
        if let metric = request["metric"] { families = families.filter { $0.name == metric } }
        if let limit = request["limit"].flatMap(Int.init), limit >= 0 { families = Array(families.prefix(limit)) }
        let entries = families.map { family in
            "\(JSONString.quoted(family.name)):[{\"type\":\(JSONString.quoted(family.type)),\"help\":\(JSONString.quoted(family.help)),\"unit\":\"\"}]"
        }
        return .success("{" + entries.joined(separator: ",") + "}")
    }

    private func buildInfo() -> APIResponse {
        .success(
            #"{"version":"\#(Self.compatibleVersion)","revision":"modelwatch-\#(Sidecar.version)","branch":"","buildUser":"","buildDate":"","goVersion":""}"#
        )
    }

    // MARK: Values

    /// A time parameter: RFC 3339 or Unix seconds (and ModelWatch's `now`, `now-1h`).
    private func time(_ text: String, parameter: String) throws(Failure) -> Int64 {
        do {
            return try StoreQuery.time(text, now: self.now())
        } catch {
            throw Failure(.badData, "invalid parameter \"\(parameter)\": cannot parse \"\(text)\" to a valid timestamp")
        }
    }

    private func required(_ request: APIRequest, _ name: String) throws(Failure) -> String {
        guard let value = request[name], !value.isEmpty else {
            throw Failure(
                .badData, "invalid parameter \"\(name)\": cannot parse \"\" to a valid \(name == "step" ? "duration" : "timestamp")")
        }
        return value
    }

    static func errorType(of error: QueryError) -> APIErrorType {
        switch error.code {
        case .parse: .badData
        case .timeout: .timeout
        case .canceled: .canceled
        case .storage: .internal
        default: .execution  // execution errors and the sample limit, as Prometheus reports them
        }
    }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first,
            first == UInt8(ascii: "_") || (first | 0x20) >= UInt8(ascii: "a") && (first | 0x20) <= UInt8(ascii: "z")
        else { return false }
        return name.utf8.allSatisfy { byte in
            byte == UInt8(ascii: "_") || (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
    }

    static func stringArray(_ values: [String]) -> String {
        "[" + values.map(JSONString.quoted).joined(separator: ",") + "]"
    }

    /// A request the API refuses, with the `errorType` it gets.
    struct Failure: Error {
        let type: APIErrorType
        let message: String

        init(_ type: APIErrorType, _ message: String) {
            self.type = type
            self.message = message
        }
    }
}

/// Limits of the query API and the read plane (`query` in `modelwatch.yaml`).
public struct QueryConfiguration: Sendable {
    /// How long one query may run (Prometheus's `--query.timeout`).
    public var timeout: Duration
    /// The most samples one query may hold in memory (`--query.max-samples`).
    public var maxSamples: Int
    /// Queries reading at once, each on its own read-only connection.
    public var maxConcurrency: Int
    /// Queries that may wait for a connection; further ones are answered 503.
    public var maxQueued: Int

    public init(timeout: Duration = .seconds(120), maxSamples: Int = 5_000_000, maxConcurrency: Int = 2, maxQueued: Int = 16) {
        self.timeout = timeout
        self.maxSamples = maxSamples
        self.maxConcurrency = maxConcurrency
        self.maxQueued = maxQueued
    }
}
