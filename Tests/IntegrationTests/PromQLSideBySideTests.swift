import Foundation
import TestSupport
import Testing

/// The same seeded history in a real Prometheus 2.42 (loaded with `promtool tsdb
/// create-blocks-from openmetrics`) and in a ModelWatch store (loaded with `modelwatch import`):
/// every expression, at several times and as a range query, must give the same answer through
/// Prometheus's HTTP API and ModelWatch's (`modelwatch api` over the store file), and so must the
/// series, label and label-value listings; `modelwatch query --format json` prints the same body.
@Suite("PromQL side by side with Prometheus", .serialized, .timeLimit(.minutes(10)))
struct PromQLSideBySideTests {
    @Test("instant and range queries give the same series and values (1e-9 relative) as Prometheus 2.42")
    func sameAnswers() async throws {
        let promtool = try #require(Tool.find("promtool"), "promtool is not installed: run `bash .ci/setup.sh` first")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("promql-sbs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let dataPath = directory.appendingPathComponent("data.om").path
        try SideBySideData.openMetrics().write(toFile: dataPath, atomically: true, encoding: .utf8)
        let blocks = directory.appendingPathComponent("tsdb").path
        let (created, createOutput) = try await Tool.run(
            promtool, ["tsdb", "create-blocks-from", "openmetrics", dataPath, blocks], input: "")
        #expect(created == 0, "promtool: \(createOutput)")
        let database = directory.appendingPathComponent("modelwatch.db").path
        let (imported, importOutput) = try await ModelWatchProcess.run(["import", "--db", database, dataPath])
        #expect(imported == 0, "modelwatch import: \(importOutput)")

        let prometheus = try await PrometheusServer.start(storage: blocks, directory: directory.path)
        defer { prometheus.stop() }
        let api = try await ModelWatchAPIProcess.start(database: database, directory: directory.path)
        defer { api.stop() }
        var mismatches: [String] = []
        var compared = 0
        var answered = 0
        for expression in SideBySideData.expressions {
            let ordered = ["sort(", "sort_desc(", "topk(", "bottomk("].contains { expression.hasPrefix($0) }
            for time in SideBySideData.times {
                let theirs = try await prometheus.get("/api/v1/query", ["query": expression, "time": "\(time)"])
                let ours = try await api.get("/api/v1/query", ["query": expression, "time": "\(time)"])
                compared += 1
                if QueryAnswer.hasSamples(theirs) { answered += 1 }
                if let difference = QueryAnswer.difference(prometheus: theirs, modelwatch: ours, ordered: ordered) {
                    mismatches.append("\(expression) @ \(time): \(difference)")
                }
            }
            let start = "\(SideBySideData.start)"
            let end = "\(SideBySideData.start + 3_600)"
            let parameters = ["query": expression, "start": start, "end": end, "step": "60"]
            let theirs = try await prometheus.get("/api/v1/query_range", parameters)
            let ours = try await api.get("/api/v1/query_range", parameters)
            compared += 1
            if QueryAnswer.hasSamples(theirs) { answered += 1 }
            if let difference = QueryAnswer.difference(prometheus: theirs, modelwatch: ours, ordered: false) {
                mismatches.append("\(expression) over an hour: \(difference)")
            }
        }
        // The CLI prints the API's body: one expression each way, at one time.
        for expression in SideBySideData.expressions.prefix(3) {
            let time = "\(SideBySideData.times[0])"
            // `--` so that an expression starting with a minus is not read as an option.
            let (_, printed) = try await ModelWatchProcess.run([
                "query", "--db", database, "--time", time, "--format", "json", "--", expression,
            ])
            let served = try await api.get("/api/v1/query", ["query": expression, "time": time])
            #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == served, "\(expression)")
        }
        // The listings Grafana's metric browser and label filters use.
        let start = "\(SideBySideData.start)"
        let end = "\(SideBySideData.start + 3_600)"
        var listings: [(String, [String: String])] = [
            ("/api/v1/labels", [:]), ("/api/v1/label/__name__/values", [:]), ("/api/v1/labels", ["start": start, "end": end]),
        ]
        for selector in SideBySideData.listingSelectors {
            listings.append(("/api/v1/series", ["match[]": selector, "start": start, "end": end]))
            listings.append(("/api/v1/labels", ["match[]": selector]))
        }
        for name in SideBySideData.labelNames {
            listings.append(("/api/v1/label/\(name)/values", [:]))
        }
        for (path, parameters) in listings {
            let theirs = try await prometheus.get(path, parameters)
            let ours = try await api.get(path, parameters)
            compared += 1
            if let difference = QueryAnswer.listingDifference(prometheus: theirs, modelwatch: ours) {
                mismatches.append("\(path) \(parameters): \(difference)")
            }
        }
        #expect(SideBySideData.expressions.count >= 150)
        // The comparison means something only if most answers hold data.
        #expect(answered * 10 >= compared * 8, "only \(answered) of \(compared) answers hold samples")
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(compared) answers differ:\n\(mismatches.joined(separator: "\n"))")
    }
}

/// A Prometheus serving an existing TSDB folder, scraping nothing.
final class PrometheusServer: @unchecked Sendable {
    // @unchecked Sendable: the `Process` is driven by one test at a time.
    let port: Int
    private let process: Process

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    static func start(storage: String, directory: String) async throws -> PrometheusServer {
        let binary = try #require(Tool.find("prometheus"), "prometheus is not installed: run `bash .ci/setup.sh` first")
        let configuration = directory + "/prometheus.yml"
        try "global:\n  evaluation_interval: 1m\n".write(toFile: configuration, atomically: true, encoding: .utf8)
        let port = try await freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(configuration)", "--storage.tsdb.path=\(storage)", "--storage.tsdb.retention.time=100y",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ]
        let log = directory + "/prometheus.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let server = PrometheusServer(process: process, port: port)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw TestFailure("prometheus exited at start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            if let response = try? await TestClient.send(port: port, path: "/-/ready"), response.status == 200 { return server }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.stop()
        throw TestFailure("prometheus did not become ready")
    }

    /// The body of a GET with URL-encoded parameters, whatever the status.
    func get(_ path: String, _ parameters: [String: String]) async throws -> String {
        try await apiGet(port: self.port, path, parameters)
    }

    func stop() {
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
        }
    }
}

/// The body of a GET with URL-encoded parameters, whatever the status.
func apiGet(port: Int, _ path: String, _ parameters: [String: String]) async throws -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    let query = parameters.sorted { $0.key < $1.key }.map { key, value in
        "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
    }.joined(separator: "&")
    return try await TestClient.send(port: port, path: query.isEmpty ? path : "\(path)?\(query)").text
}

/// `modelwatch api` serving a store file, read-only.
final class ModelWatchAPIProcess: @unchecked Sendable {
    // @unchecked Sendable: the `Process` is driven by one test at a time.
    let port: Int
    private let process: Process

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    static func start(database: String, directory: String) async throws -> ModelWatchAPIProcess {
        let port = try await freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ModelWatchProcess.binary)
        process.arguments = ["api", "--db", database, "--listen", "127.0.0.1:\(port)"]
        let log = directory + "/modelwatch-api.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let server = ModelWatchAPIProcess(process: process, port: port)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw TestFailure("modelwatch api exited at start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            if let response = try? await TestClient.send(port: port, path: "/readyz"), response.status == 200 { return server }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.stop()
        throw TestFailure("modelwatch api did not become ready")
    }

    func get(_ path: String, _ parameters: [String: String]) async throws -> String {
        try await apiGet(port: self.port, path, parameters)
    }

    func stop() {
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
        }
    }
}

/// Compares two answers of the query API.
enum QueryAnswer {
    /// How two listings (`series`, `labels`, `label/…/values`) differ, or `nil` when they are the
    /// same: both successful, the same entries in the same order.
    static func listingDifference(prometheus: String, modelwatch: String) -> String? {
        func entries(_ text: String) -> [String]? {
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                object["status"] as? String == "success", let data = object["data"] as? [Any]
            else { return nil }
            return data.map { entry in
                if let text = entry as? String { return text }
                let labels = (entry as? [String: String]) ?? [:]
                return labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            }
        }
        guard let theirs = entries(prometheus) else { return "Prometheus answered \(prometheus.prefix(200))" }
        guard let ours = entries(modelwatch) else { return "ModelWatch answered \(modelwatch.prefix(200))" }
        guard theirs == ours else { return "Prometheus \(theirs.prefix(20)) vs ModelWatch \(ours.prefix(20))" }
        return nil
    }

    /// Whether a successful answer holds at least one sample.
    static func hasSamples(_ answer: String) -> Bool {
        guard let document = try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any],
            let data = document["data"] as? [String: Any]
        else { return false }
        return !Self.series(data["result"]).allSatisfy { $0.points.isEmpty }
    }

    /// Nil when both answers agree: both errors, or the same type, label sets, timestamps and
    /// values within 1e-9 relative (NaN equal to NaN); in input order when `ordered`.
    static func difference(prometheus: String, modelwatch: String, ordered: Bool) -> String? {
        let theirs = try? JSONSerialization.jsonObject(with: Data(prometheus.utf8)) as? [String: Any]
        let theirStatus = theirs?["status"] as? String
        let ours = try? JSONSerialization.jsonObject(with: Data(modelwatch.utf8)) as? [String: Any]
        if theirStatus != "success" {
            return ours == nil ? nil : "Prometheus failed (\(prometheus)) but ModelWatch answered"
        }
        guard let ours else { return "ModelWatch failed: \(modelwatch)" }
        guard let theirData = theirs?["data"] as? [String: Any], let ourData = ours["data"] as? [String: Any] else {
            return "no data"
        }
        guard theirData["resultType"] as? String == ourData["resultType"] as? String else {
            return "result type \(ourData["resultType"] ?? "?") instead of \(theirData["resultType"] ?? "?")"
        }
        let theirSeries = Self.series(theirData["result"])
        let ourSeries = Self.series(ourData["result"])
        guard theirSeries.map(\.labels).sorted() == ourSeries.map(\.labels).sorted() else {
            return "series \(ourSeries.map(\.labels)) instead of \(theirSeries.map(\.labels))"
        }
        if ordered && theirSeries.map(\.labels) != ourSeries.map(\.labels) {
            return "order \(ourSeries.map(\.labels)) instead of \(theirSeries.map(\.labels))"
        }
        let ourByLabels = Dictionary(ourSeries.map { ($0.labels, $0.points) }, uniquingKeysWith: { first, _ in first })
        for series in theirSeries {
            let mine = ourByLabels[series.labels] ?? []
            guard mine.count == series.points.count else {
                return "\(series.labels): \(mine.count) points instead of \(series.points.count)"
            }
            for (their, our) in zip(series.points, mine) {
                guard abs(their.time - our.time) < 1e-6, Self.close(their.value, our.value) else {
                    return "\(series.labels): \(our) instead of \(their)"
                }
            }
        }
        return nil
    }

    private static func close(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    }

    private static func point(_ pair: Any?) -> (time: Double, value: Double)? {
        guard let pair = pair as? [Any], pair.count == 2, let time = (pair[0] as? NSNumber)?.doubleValue, let text = pair[1] as? String,
            let value = Double(text)
        else { return nil }
        return (time, value)
    }

    /// Each series as sorted `name=value` text and its points; a scalar is one series without labels.
    private static func series(_ result: Any?) -> [(labels: String, points: [(time: Double, value: Double)])] {
        if let scalar = Self.point(result) { return [("scalar", [scalar])] }
        guard let entries = result as? [[String: Any]] else { return [] }
        return entries.map { entry in
            let metric = (entry["metric"] as? [String: String]) ?? [:]
            let labels = metric.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            if let value = Self.point(entry["value"]) { return (labels, [value]) }
            let values = (entry["values"] as? [Any] ?? []).compactMap(Self.point)
            return (labels, values)
        }
    }
}
