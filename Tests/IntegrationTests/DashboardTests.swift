import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The Grafana dashboards in `dashboards/`: their JSON checked for what Grafana needs, and every
/// panel's query run against a real Prometheus 2.42 scraping two sidecars under traffic (one in
/// front of a real MLServer with drift and rules on, one in front of an OpenAI-compatible backend)
/// and against those sidecars' own query API: every query returns data, and both sides agree.
@Suite("Dashboards", .serialized, .timeLimit(.minutes(5)))
struct DashboardTests {
    static let directory = ModelServerProcess.repositoryRoot.appendingPathComponent("dashboards").path

    /// Every dashboard file, parsed.
    static func dashboards() throws -> [(name: String, json: [String: Any])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: Self.directory + "/" + name))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(name) is not a JSON object")
            return (name, json)
        }
    }

    /// Every query of every panel, with the panel's title.
    static func queries(_ dashboard: [String: Any]) -> [(panel: String, expr: String)] {
        let panels = dashboard["panels"] as? [[String: Any]] ?? []
        return panels.flatMap { panel in
            (panel["targets"] as? [[String: Any]] ?? []).compactMap { target in
                (target["expr"] as? String).map { (panel["title"] as? String ?? "", $0) }
            }
        }
    }

    @Test(
        "four dashboards: unique ids, a grid that fits, the datasource variable everywhere, model and version from label_values, no hard-coded model"
    )
    func structure() throws {
        let dashboards = try Self.dashboards()
        #expect(
            dashboards.map(\.name) == ["modelwatch-drift.json", "modelwatch-health.json", "modelwatch-llm.json", "modelwatch-serving.json"])
        var uids = Set<String>()
        for (name, dashboard) in dashboards {
            let uid = try #require(dashboard["uid"] as? String, "\(name)")
            #expect(uids.insert(uid).inserted, "\(name): uid \(uid) twice")
            let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            let datasource = variables.first { $0["name"] as? String == "datasource" }
            #expect(datasource?["type"] as? String == "datasource" && datasource?["query"] as? String == "prometheus", "\(name)")
            let model = variables.first { $0["name"] as? String == "model" }
            #expect((model?["definition"] as? String)?.hasPrefix("label_values(") == true, "\(name)")
            for variable in variables where variable["type"] as? String == "query" {
                #expect((variable["datasource"] as? [String: String])?["uid"] == "${datasource}", "\(name): \(variable["name"] ?? "")")
            }
            let panels = dashboard["panels"] as? [[String: Any]] ?? []
            #expect(!panels.isEmpty)
            var ids = Set<Int>()
            var cells = Set<[Int]>()
            for panel in panels {
                let title = panel["title"] as? String ?? ""
                let id = try #require(panel["id"] as? Int, "\(name): \(title)")
                #expect(ids.insert(id).inserted, "\(name): panel id \(id) twice")
                let grid = try #require(panel["gridPos"] as? [String: Int], "\(name): \(title)")
                let (x, y, w, h) = (grid["x"] ?? -1, grid["y"] ?? -1, grid["w"] ?? 0, grid["h"] ?? 0)
                #expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 24, "\(name): \(title) at \(grid)")
                for column in x..<(x + w) {
                    for row in y..<(y + h) { #expect(cells.insert([column, row]).inserted, "\(name): \(title) overlaps another panel") }
                }
                guard panel["type"] as? String != "row" else { continue }
                #expect((panel["datasource"] as? [String: String])?["uid"] == "${datasource}", "\(name): \(title)")
                let targets = panel["targets"] as? [[String: Any]] ?? []
                #expect(!targets.isEmpty, "\(name): \(title) has no query")
                for target in targets {
                    let expr = target["expr"] as? String ?? ""
                    #expect(!expr.isEmpty, "\(name): \(title)")
                    #expect(!expr.contains("iris") && !expr.contains(#"model=""#), "\(name): \(title) names a model: \(expr)")
                    // Rates follow Grafana's interval, never a fixed window.
                    if expr.contains("rate(") || expr.contains("increase(") {
                        #expect(expr.contains("[$__rate_interval]"), "\(name): \(title)")
                    }
                }
            }
        }
    }

    /// The serving sidecar's settings: drift against the demo's iris baseline over one-minute
    /// windows, the rules we ship evaluated every second, and every request shadowed by the
    /// backend model's skl2onnx conversion in `folder` (labels compared as numbers, so the error
    /// panels have values); alerts go to an Alertmanager at `alertmanagerPort`, where none listens.
    static func servingSections(shadowModels folder: URL, alertmanagerPort: Int) -> String {
        let root = ModelServerProcess.repositoryRoot
        let features = ["sepal_length", "sepal_width", "petal_length", "petal_width"].enumerated()
            .map { "        \($1): input-0[\($0)]\n" }.joined()
        return """
            storage:
              scrape_interval: 500ms
            drift:
              window: 1m
              min_samples: 20
              models:
                iris:
                  baseline: \(root.appendingPathComponent("examples/iris-baseline.json").path)
                  features:
            \(features)      outputs:
                    label: predict
            rules:
              files: [\(root.appendingPathComponent("alerts/modelwatch.rules.yaml").path)]
              evaluation_interval: 1s
            alerting:
              alertmanagers:
                - url: http://127.0.0.1:\(alertmanagerPort)
            shadow:
              models:
                iris:
                  reference: \(folder.appendingPathComponent("iris.onnx").path)
                  inputs:
                    X: input-0
                  outputs:
                    label: {backend: predict, compare: numeric}

            """
    }

    @Test(
        "every panel query returns data from a real Prometheus and from ModelWatch's own query_range over the same sidecars, with the same series"
    )
    func queriesAgree() async throws {
        // The shadow tests' MLServer: its model is the one the reference was converted from.
        let folder = try await ShadowModels.sklearn()
        defer { try? FileManager.default.removeItem(at: folder) }
        let mlserver = try await ShadowModels.startMLServer(folder, variant: "v1")
        try await withModelServer(mlserver) { mlserver in
            let sections = Self.servingSections(shadowModels: folder, alertmanagerPort: try await freePort())
            try await withSidecar(upstream: "http://127.0.0.1:\(mlserver.httpPort)", sections: sections) { serving in
                // A second sidecar in front of an OpenAI-compatible backend feeds the LLM panels; a
                // request the backend never answers gives a backend error.
                try await withSidecar(
                    upstreamSettings: ["timeout": "3s"],
                    sections: "storage:\n  scrape_interval: 500ms\nmodels:\n  default: llama-3-8b\n"
                ) { _, language in
                    let prometheus = try await PrometheusProcess.start(scraping: serving.adminPort, language.adminPort)
                    do {
                        try await self.compare(sidecars: [serving, language], prometheus: prometheus)
                        await prometheus.stop()
                    } catch {
                        await prometheus.stop()
                        throw error
                    }
                }
            }
        }
    }

    private func compare(sidecars: [ModelWatchProcess], prometheus: PrometheusProcess) async throws {
        let (serving, language) = (sidecars[0], sidecars[1])
        try await Self.sendTraffic(serving: serving, language: language)
        // Drift gauges are set when the minute holding the traffic closes; both sides must have them.
        _ = try await serving.scrape(until: { $0.value("modelwatch_feature_window_samples", ["model": "iris"]) > 0 }, timeout: .seconds(90))
        _ = try await prometheus.query("modelwatch_feature_window_samples{model=\"iris\"}", until: { !$0.isEmpty }, timeout: .seconds(60))
        for _ in 0..<300 {
            let answer = try await apiGet(port: serving.adminPort, "/api/v1/query", ["query": "modelwatch_feature_window_samples"])
            if answer.contains("sepal_length") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        // Every series has appeared on both sides by now; two more scrapes each, then a window
        // that ends a second ago.
        try await Task.sleep(for: .seconds(2))
        let end = Date().timeIntervalSince1970 - 1
        let window = ["start": "\(end - 30)", "end": "\(end)", "step": "5"]

        // The variable queries Grafana runs, as the label-values calls it makes.
        for (label, match, expected) in [
            ("model", "modelwatch_requests_total", ["iris", "llama-3-8b"]),
            ("version", #"modelwatch_requests_total{model=~"iris"}"#, ["v1"]),
        ] {
            let parameters = window.merging(["match[]": match]) { $1 }
            let theirs = Self.values(try await apiGet(port: prometheus.port, "/api/v1/label/\(label)/values", parameters))
            var ours = Set<String>()
            for sidecar in sidecars {
                ours.formUnion(Self.values(try await apiGet(port: sidecar.adminPort, "/api/v1/label/\(label)/values", parameters)))
            }
            #expect(theirs == Set(expected) && ours == theirs, "label_values(\(match), \(label)): Prometheus \(theirs), ModelWatch \(ours)")
        }

        var failures: [String] = []
        var empty: [String] = []
        var total = 0
        // First with every model and version (Grafana's "All"), when every panel must show data;
        // then with one model, when they must still agree.
        for (all, model, version) in [(true, ".*", ".*"), (false, "iris", "v1")] {
            for (name, dashboard) in try Self.dashboards() {
                for (panel, expr) in Self.queries(dashboard) {
                    total += 1
                    let query = expr.replacingOccurrences(of: "$__rate_interval", with: "1m")
                        .replacingOccurrences(of: "$model", with: all || name != "modelwatch-llm.json" ? model : "llama-3-8b")
                        .replacingOccurrences(of: "$version", with: version)
                    let parameters = window.merging(["query": query]) { $1 }
                    let theirs = try await apiGet(port: prometheus.port, "/api/v1/query_range", parameters)
                    guard let theirSeries = Self.labelSets(theirs) else {
                        failures.append("\(name) / \(panel): Prometheus refused \(query): \(theirs.prefix(300))")
                        continue
                    }
                    var ourSeries = Set<String>()
                    for sidecar in sidecars {
                        let ours = try await apiGet(port: sidecar.adminPort, "/api/v1/query_range", parameters)
                        guard let series = Self.labelSets(ours) else {
                            failures.append("\(name) / \(panel): ModelWatch refused \(query): \(ours.prefix(300))")
                            continue
                        }
                        ourSeries.formUnion(series)
                    }
                    if all && (theirSeries.isEmpty || ourSeries.isEmpty) {
                        empty.append("\(name) / \(panel): \(query) (Prometheus \(theirSeries.count), ModelWatch \(ourSeries.count) series)")
                    }
                    // Prometheus adds the scrape's job and instance; the sidecars' own history has neither.
                    if theirSeries != ourSeries {
                        failures.append(
                            "\(name) / \(panel): \(query)\n  Prometheus \(theirSeries.sorted())\n  ModelWatch \(ourSeries.sorted())")
                    }
                }
            }
        }
        // The status page shows the shadow comparisons beside the model's row.
        let page = try await TestClient.send(port: serving.adminPort, path: "/").text
        #expect(page.contains("<th>Shadow match (1h)</th>"), "\(page.prefix(2000))")
        #expect(page.contains(#"<td class="num shadow">100.00 % of "#), "\(page.prefix(4000))")
        #expect(failures.isEmpty, "\(failures.count) of \(total) queries differ:\n\(failures.joined(separator: "\n"))")
        #expect(empty.isEmpty, "\(empty.count) of \(total / 2) queries returned no data:\n\(empty.joined(separator: "\n"))")
        print(
            "dashboards: \(total / 2) queries, each with every model and with one; \(empty.count) without data, \(failures.count) differing"
        )
    }

    /// Predictions, malformed requests and an out-of-range value through the serving sidecar;
    /// streamed chat completions and one request the backend never answers through the other.
    static func sendTraffic(serving: ModelWatchProcess, language: ModelWatchProcess) async throws {
        let json: HTTPHeaders = ["content-type": "application/json"]
        let hung = Task { try await TestClient.send(port: language.dataPort, path: "/hang") }
        let chat =
            #"{"model":"llama-3-8b","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#
        for round in 0..<12 {
            for _ in 0..<3 {
                let response = try await TestClient.send(
                    port: serving.dataPort, method: .POST, path: "/v2/models/iris/infer", headers: json,
                    body: ByteBuffer(
                        string: #"{"inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2,6.2,2.9,4.3,1.3]}]}"#
                    ))
                #expect(response.status == 200)
            }
            if round % 3 == 0 {
                let response = try await TestClient.send(
                    port: serving.dataPort, method: .POST, path: "/v2/models/iris/infer", headers: json, body: ByteBuffer(string: "{"))
                #expect(response.status == 422)
            }
            if round == 5 {
                // A sepal 40 cm long: far outside the baseline's range.
                let response = try await TestClient.send(
                    port: serving.dataPort, method: .POST, path: "/v2/models/iris/infer", headers: json,
                    body: ByteBuffer(string: #"{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[40.0,3.0,4.0,1.2]}]}"#))
                #expect(response.status == 200)
            }
            let streamed = try await TestClient.send(
                port: language.dataPort, method: .POST, path: "/v1/chat/completions", headers: json, body: ByteBuffer(string: chat))
            #expect(streamed.status == 200)
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(try await hung.value.status == 504)
    }

    /// The values of a label-values answer.
    static func values(_ body: String) -> Set<String> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return [] }
        return Set(object["data"] as? [String] ?? [])
    }

    /// The label sets of a successful query answer (instant or range) without job and instance, or `nil` for an error.
    static func labelSets(_ body: String) -> Set<String>? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            object["status"] as? String == "success", let data = object["data"] as? [String: Any]
        else { return nil }
        guard let result = data["result"] as? [[String: Any]] else { return [] }
        return Set(
            result.map { series in
                let labels = (series["metric"] as? [String: String] ?? [:]).filter { $0.key != "job" && $0.key != "instance" }
                return labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            })
    }
}

extension PrometheusProcess {
    /// The raw body of an instant query at `time`.
    func get(_ expression: String, at time: String) async throws -> String {
        try await apiGet(port: self.port, "/api/v1/query", ["query": expression, "time": time])
    }
}
