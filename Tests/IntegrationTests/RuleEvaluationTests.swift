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

/// `for` timers survive a restart: a store that already holds `ALERTS_FOR_STATE` from an earlier
/// run (loaded with `modelwatch import`) gives a pending alert its earlier start, minus the
/// downtime, and keeps a firing alert firing with its original start: no reset, no second page.
@Suite("Rule state across a restart", .serialized, .timeLimit(.minutes(5)))
struct RuleStateRestoreTests {
    @Test("pending and firing alerts come back from ALERTS_FOR_STATE")
    func restoresFromTheStore() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-restore-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let now = Int64(Date().timeIntervalSince1970)
        // The earlier run: `Pending` active for 30 of its 60 minutes, `Firing` active for two hours;
        // both last saved 10 seconds ago.
        let history = """
            # TYPE ALERTS_FOR_STATE gauge
            ALERTS_FOR_STATE{alertname="Pending",severity="page"} \(now - 1800) \(now - 10)
            ALERTS_FOR_STATE{alertname="Firing",severity="page"} \(now - 7200) \(now - 10)
            # EOF

            """
        try history.write(toFile: directory + "/history.om", atomically: true, encoding: .utf8)
        let database = directory + "/modelwatch.db"
        let imported = try await ModelWatchProcess.run(["import", "--db", database, directory + "/history.om"])
        #expect(imported.status == 0, "\(imported.output)")
        let rules = directory + "/rules.yaml"
        try """
        groups:
          - name: restore
            rules:
              - alert: Pending
                expr: vector(1)
                for: 1h
                labels: {severity: page}
              - alert: Firing
                expr: vector(1)
                for: 1h
                labels: {severity: page}
        """.write(toFile: rules, atomically: true, encoding: .utf8)
        let sections =
            "rules:\n  evaluation_interval: 200ms\n  files: [\(rules)]\nstorage:\n  scrape_interval: 100ms\n  path: \(database)\n"
        try await withSidecar(sections: sections) { _, sidecar in
            var byName: [String: [String: Any]] = [:]
            for _ in 0..<300 {
                let answer = QueryAPITests.json(try await QueryAPITests.get(sidecar, "/api/v1/alerts"))
                let alerts = (answer["data"] as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
                byName = [:]
                for alert in alerts {
                    if let name = (alert["labels"] as? [String: String])?["alertname"] { byName[name] = alert }
                }
                if byName["Firing"]?["state"] as? String == "firing", byName["Pending"] != nil { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(byName["Firing"]?["state"] as? String == "firing")
            #expect(byName["Firing"]?["activeAt"] as? String == Self.rfc3339(now - 7200))
            #expect(byName["Pending"]?["state"] as? String == "pending")
            // Restored: active since about 30 minutes before now (plus the downtime), not since the start.
            let activeAt = try #require(byName["Pending"]?["activeAt"] as? String)
            let pendingSince = try #require(Self.seconds(activeAt))
            #expect(pendingSince < now - 1200)
            #expect(pendingSince >= now - 1800)
        }
    }

    static func rfc3339(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    static func seconds(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970) }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text).map { Int64($0.timeIntervalSince1970) }
    }
}
