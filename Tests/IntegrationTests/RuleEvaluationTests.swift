import Foundation
import Testing

/// Rules evaluated by a live sidecar on its own history: recorded series and `ALERTS` land in the
/// store and answer queries, the rule metrics show on `/metrics`, and `modelwatch check` refuses
/// a bad rule file with its file and line.
@Suite("Rule evaluation in the sidecar", .serialized, .timeLimit(.minutes(5)))
struct RuleEvaluationTests {
    static func ruleFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("recording rules and alerts are written to the store, shown by /api/v1/rules and /api/v1/alerts, and measured")
    func evaluatesOnTheStore() async throws {
        let rules = try Self.ruleFile(
            """
            groups:
              - name: live
                rules:
                  - record: live:requests:sum
                    expr: sum(modelwatch_requests_total)
                  - alert: RequestsSeen
                    expr: live:requests:sum > 0
                    labels:
                      severity: info
            """)
        defer { try? FileManager.default.removeItem(atPath: rules) }
        let sections = "rules:\n  evaluation_interval: 200ms\n  files:\n    - \(rules)\nstorage:\n  scrape_interval: 100ms\n"
        try await withSidecar(sections: sections) { _, sidecar in
            try await QueryAPITests.traffic(sidecar, count: 3)
            var alerts: [String: Any] = [:]
            var recorded: Double?
            for _ in 0..<300 {
                let answer = try await QueryAPITests.get(sidecar, "/api/v1/query", ["query": "live:requests:sum"])
                recorded = QueryAPITests.firstValue(answer)
                let alert = try await QueryAPITests.get(
                    sidecar, "/api/v1/query", ["query": "ALERTS{alertname=\"RequestsSeen\", alertstate=\"firing\"}"])
                let result = (QueryAPITests.json(alert)["data"] as? [String: Any])?["result"] as? [[String: Any]]
                alerts = (result?.first?["metric"] as? [String: Any]) ?? [:]
                if (recorded ?? 0) >= 3, !alerts.isEmpty { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect((recorded ?? 0) >= 3)
            #expect(alerts["severity"] as? String == "info")
            #expect(alerts["__name__"] as? String == "ALERTS")

            // Prometheus 2.42's shapes, as Grafana reads them.
            let rulesAnswer = QueryAPITests.json(try await QueryAPITests.get(sidecar, "/api/v1/rules"))
            let groups = (rulesAnswer["data"] as? [String: Any])?["groups"] as? [[String: Any]] ?? []
            #expect(groups.first?["name"] as? String == "live")
            #expect(groups.first?["file"] as? String == rules)
            let ruleList = groups.first?["rules"] as? [[String: Any]] ?? []
            #expect(ruleList.map { $0["type"] as? String } == ["recording", "alerting"])
            #expect(ruleList.map { $0["health"] as? String } == ["ok", "ok"])
            #expect(ruleList.last?["state"] as? String == "firing")
            #expect(ruleList.last?["query"] as? String == "live:requests:sum > 0")
            let onlyAlerts = QueryAPITests.json(try await QueryAPITests.get(sidecar, "/api/v1/rules", ["type": "alert"]))
            let filtered = ((onlyAlerts["data"] as? [String: Any])?["groups"] as? [[String: Any]])?.first?["rules"] as? [[String: Any]]
            #expect(filtered?.count == 1)
            let alertsAnswer = QueryAPITests.json(try await QueryAPITests.get(sidecar, "/api/v1/alerts"))
            let active = (alertsAnswer["data"] as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
            #expect(active.count == 1)
            #expect((active.first?["labels"] as? [String: String])?["alertname"] == "RequestsSeen")
            #expect(active.first?["state"] as? String == "firing")
            #expect((active.first?["activeAt"] as? String)?.hasSuffix("Z") == true)
            #expect((active.first?["value"] as? String)?.contains("e+") == true)

            let metrics = try await TestClient.send(port: sidecar.adminPort, path: "/metrics")
            #expect(metrics.text.contains("modelwatch_rule_evaluation_seconds_count{rule_group=\"live\"}"))
            #expect(metrics.text.contains("modelwatch_rule_group_last_evaluation_timestamp_seconds{rule_group=\"live\"}"))
            #expect(metrics.text.contains("modelwatch_rule_evaluation_failures_total{rule_group=\"live\"} 0"))
        }
    }

    @Test("modelwatch check refuses a bad rule file with the rule file's path and line")
    func checkRefusesBadRules() async throws {
        let rules = try Self.ruleFile("groups:\n  - name: bad\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m])\n")
        defer { try? FileManager.default.removeItem(atPath: rules) }
        let configuration = try Self.ruleFile(
            "upstream:\n  url: http://127.0.0.1:9\nrules:\n  files:\n    - \(rules)\nstorage:\n  path: /tmp/modelwatch-\(UUID().uuidString).db\n"
        )
        defer { try? FileManager.default.removeItem(atPath: configuration) }
        let result = try await ModelWatchProcess.run(["check", "--config", configuration])
        #expect(result.status == 1)
        #expect(
            result.output.contains("\(rules):5: group \"bad\", rule 1, \"Broken\": could not parse expression: 1:16: parse error"),
            "\(result.output)")
    }
}
