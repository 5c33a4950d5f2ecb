import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The Grafana dashboards in `dashboards/`: their JSON checked for what Grafana needs, and every
/// panel's query run against a real Prometheus 2.42 scraping a sidecar in front of a real MLServer
/// under traffic and against that sidecar's own query API, which must agree.
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

    @Test("every panel query runs on a real Prometheus and on ModelWatch's API over the same sidecar, with the same series")
    func queriesAgree() async throws {
        try await withMLServer { mlserver in
            try await withSidecar(
                upstream: "http://127.0.0.1:\(mlserver.httpPort)", sections: "storage:\n  scrape_interval: 500ms\n"
            ) { sidecar in
                let prometheus = try await PrometheusProcess.start(scraping: sidecar.adminPort)
                do {
                    try await self.compare(sidecar: sidecar, prometheus: prometheus)
                    await prometheus.stop()
                } catch {
                    await prometheus.stop()
                    throw error
                }
            }
        }
    }

    private func compare(sidecar: ModelWatchProcess, prometheus: PrometheusProcess) async throws {
        let json: HTTPHeaders = ["content-type": "application/json"]
        // Traffic over several scrapes: predictions, and malformed requests MLServer answers 422.
        for round in 0..<12 {
            for _ in 0..<3 {
                let response = try await TestClient.send(
                    port: sidecar.dataPort, method: .POST, path: "/v2/models/iris/infer", headers: json,
                    body: ByteBuffer(
                        string: #"{"inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2,6.2,2.9,4.3,1.3]}]}"#
                    ))
                #expect(response.status == 200)
            }
            if round % 3 == 0 {
                _ = try await TestClient.send(
                    port: sidecar.dataPort, method: .POST, path: "/v2/models/iris/infer", headers: json, body: ByteBuffer(string: "{"))
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        // Both have recorded every request before the comparison, and Prometheus (whose first
        // scrape comes a few seconds after it starts) has scraped for a while.
        _ = try await prometheus.query("sum(modelwatch_requests_total)", until: { ($0.first?.value ?? 0) >= 40 }, timeout: .seconds(60))
        _ = try await prometheus.query("count_over_time(up[1m])", until: { ($0.first?.value ?? 0) >= 8 }, timeout: .seconds(60))
        for _ in 0..<100 {
            let answer = try await apiGet(port: sidecar.adminPort, "/api/v1/query", ["query": "sum(modelwatch_requests_total)"])
            if answer.contains(#","40"]"#) { break }
            try await Task.sleep(for: .milliseconds(100))
        }

        let time = "\(Date().timeIntervalSince1970 - 1)"
        var failures: [String] = []
        var withData = 0
        var total = 0
        for (name, dashboard) in try Self.dashboards() {
            for (panel, expr) in Self.queries(dashboard) {
                total += 1
                let query = expr.replacingOccurrences(of: "$__rate_interval", with: "1m").replacingOccurrences(of: "$model", with: "iris")
                    .replacingOccurrences(of: "$version", with: "v1")
                let theirs = try await prometheus.get(query, at: time)
                let ours = try await apiGet(port: sidecar.adminPort, "/api/v1/query", ["query": query, "time": time])
                guard let theirSeries = Self.labelSets(theirs) else {
                    failures.append("\(name) / \(panel): Prometheus refused \(query): \(theirs.prefix(300))")
                    continue
                }
                guard let ourSeries = Self.labelSets(ours) else {
                    failures.append("\(name) / \(panel): ModelWatch refused \(query): \(ours.prefix(300))")
                    continue
                }
                if !theirSeries.isEmpty && !ourSeries.isEmpty { withData += 1 }
                // Prometheus adds the scrape's job and instance; the sidecar's own history has neither.
                if theirSeries != ourSeries {
                    failures.append(
                        "\(name) / \(panel): \(query)\n  Prometheus \(theirSeries.sorted())\n  ModelWatch \(ourSeries.sorted())")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(total) queries differ:\n\(failures.joined(separator: "\n"))")
        // Traffic through MLServer feeds the serving and health dashboards; LLM and drift panels
        // need an LLM backend and a baseline (see the README).
        #expect(withData >= 25, "only \(withData) of \(total) queries returned data on both")
        print("dashboards: \(total) queries, \(withData) with data on both, \(failures.count) differing")
    }

    /// The label sets of a successful instant-query answer without job and instance, or `nil` for an error.
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
