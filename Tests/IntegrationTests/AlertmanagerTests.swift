import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Alerts reach a real Alertmanager (Debian's `prometheus-alertmanager` 0.25): a sidecar whose
/// backend goes down pages through Alertmanager's webhook with the right labels, external
/// labels and annotations, and the resolution follows when the backend is back; an Alertmanager
/// that is down costs retries, not memory or proxying; a restart of the sidecar while an alert
/// fires pages nobody twice.
@Suite("Alertmanager", .serialized, .timeLimit(.minutes(5)))
struct AlertmanagerTests {
    static let rules = """
        groups:
          - name: serving
            interval: 300ms
            rules:
              - alert: ModelBackendDown
                expr: modelwatch_upstream_up == 0
                for: 1s
                labels:
                  severity: critical
                annotations:
                  summary: "Backend down in {{ $externalLabels.cluster }}"
                  description: "modelwatch_upstream_up is {{ $value }}"
              - alert: ModelBackendDownLong
                expr: modelwatch_upstream_up == 0
                for: 1h
                labels:
                  severity: warning
        """

    /// The sidecar's configuration: the rules above, fast self-scrapes and readiness probes, one Alertmanager.
    static func sections(rules: String, alertmanagerPort: Int, queueCapacity: Int = 10_000) -> String {
        // `storage:` last: the test harness appends the store's path to it.
        """
        rules:
          files: [\(rules)]
        global:
          external_labels: {cluster: test-eu, replica: a}
          external_url: http://modelwatch.test:9464
        alerting:
          queue_capacity: \(queueCapacity)
          alertmanagers:
            - url: http://127.0.0.1:\(alertmanagerPort)
              timeout: 5s
        storage:
          scrape_interval: 100ms

        """
    }

    static func ruleFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func labels(_ alert: [String: Any]) -> [String: String] { alert["labels"] as? [String: String] ?? [:] }

    @Test("a backend that goes down pages through Alertmanager with external labels and annotations; its return resolves it")
    func firesAndResolves() async throws {
        let receiver = try await TestBackend.start()
        let alertmanager = try await AlertmanagerProcess.start(webhookPort: receiver.port)
        let rules = try Self.ruleFile(Self.rules)
        defer { try? FileManager.default.removeItem(atPath: rules) }
        var backend = try await TestBackend.start()
        let backendPort = backend.port
        let sidecar = try await ModelWatchProcess.start(
            upstream: "http://127.0.0.1:\(backendPort)", upstreamSettings: ["readiness_timeout": "1s"],
            sections: Self.sections(rules: rules, alertmanagerPort: alertmanager.port))
        defer { Task { await alertmanager.stop() } }
        do {
            _ = try await sidecar.waitForReadiness(true)
            // The store follows the readiness probe by itself, with nobody scraping /metrics.
            _ = try await eventually("the store recording the backend as up") {
                let answer = try await QueryAPITests.get(sidecar, "/api/v1/query", ["query": "modelwatch_upstream_up"])
                return QueryAPITests.firstValue(answer) == 1 ? true : nil
            }
            await backend.shutdown()

            let held = try await eventually("ModelBackendDown in Alertmanager's GET /api/v2/alerts") {
                try await alertmanager.alerts().first { Self.labels($0)["alertname"] == "ModelBackendDown" }
            }
            #expect(
                Self.labels(held) == ["alertname": "ModelBackendDown", "severity": "critical", "cluster": "test-eu", "replica": "a"])
            let annotations = held["annotations"] as? [String: String] ?? [:]
            #expect(annotations["summary"] == "Backend down in test-eu")
            #expect(annotations["description"] == "modelwatch_upstream_up is 0")
            let generatorURL = held["generatorURL"] as? String ?? ""
            #expect(generatorURL == "http://modelwatch.test:9464/graph?g0.expr=modelwatch_upstream_up+%3D%3D+0&g0.tab=1")
            #expect((held["status"] as? [String: Any])?["state"] as? String == "active")
            // The pending one never leaves the sidecar.
            #expect(try await alertmanager.alerts().allSatisfy { Self.labels($0)["alertname"] != "ModelBackendDownLong" })

            let firing = try await eventually("the firing notification at the webhook") {
                WebhookNotification.received(by: receiver).first { $0.status == "firing" && $0.mentions("ModelBackendDown") }
            }
            let startsAt = firing.alerts.first?["startsAt"] as? String

            backend = try await TestBackend.start(port: backendPort)
            let resolved = try await eventually("the resolved notification at the webhook") {
                WebhookNotification.received(by: receiver).first { $0.status == "resolved" && $0.mentions("ModelBackendDown") }
            }
            let alert = try #require(resolved.alerts.first)
            #expect(alert["status"] as? String == "resolved")
            #expect(alert["startsAt"] as? String == startsAt)
            #expect((alert["endsAt"] as? String).map { !$0.hasPrefix("0001-") } == true)
            #expect(Self.labels(alert)["cluster"] == "test-eu")

            let scrape = try await sidecar.scrape()
            #expect(scrape.value("modelwatch_notifications_total", ["result": "sent"]) >= 2)
            #expect(scrape.value("modelwatch_notifications_total", ["result": "dropped"]) == 0)
        } catch {
            Issue.record("sidecar log:\n\(sidecar.log)\nalertmanager log:\n\(alertmanager.log)")
            await sidecar.stop()
            await backend.shutdown()
            await receiver.shutdown()
            throw error
        }
        await sidecar.stop()
        await backend.shutdown()
        await receiver.shutdown()
    }

    @Test("an Alertmanager that is down costs retries within a bounded queue while proxying goes on; alerts arrive once it is up")
    func alertmanagerDown() async throws {
        let receiver = try await TestBackend.start()
        let alertmanagerPort = try await freePort()
        // One alert per metric family of the sidecar: far more than the queue holds.
        let rules = try Self.ruleFile(
            """
            groups:
              - name: many
                interval: 300ms
                rules:
                  - alert: MetricFamilyPresent
                    expr: label_replace(count by (__name__) ({__name__=~"modelwatch_.+"}), "family", "$1", "__name__", "(.+)")
            """)
        defer { try? FileManager.default.removeItem(atPath: rules) }
        try await withSidecar(
            sections: Self.sections(rules: rules, alertmanagerPort: alertmanagerPort, queueCapacity: 3)
        ) { _, sidecar in
            let retried = try await eventually("failed POSTs to the missing Alertmanager, retried") {
                let scrape = try await sidecar.scrape()
                #expect(scrape.value("modelwatch_notifications_queue_length") <= 3)
                return scrape.value("modelwatch_notifications_total", ["result": "failed"]) >= 9 ? scrape : nil
            }
            #expect(retried.value("modelwatch_notifications_total", ["result": "dropped"]) > 0)
            #expect(retried.value("modelwatch_notifications_total", ["result": "sent"]) == 0)
            #expect(retried.value("modelwatch_notifications_queue_capacity") == 3)
            #expect(sidecar.log.components(separatedBy: "Alertmanager did not take alerts").count == 2, "logged once per episode")
            for index in 0..<20 {
                let response = try await TestClient.send(
                    port: sidecar.dataPort, method: .POST, path: "/v2/models/iris/infer", body: ByteBuffer(string: "{\"id\":\"\(index)\"}"))
                #expect(response.status == 200)
            }

            let alertmanager = try await AlertmanagerProcess.start(webhookPort: receiver.port, port: alertmanagerPort)
            let held = try await eventually("alerts in Alertmanager once it is up") {
                let alerts = try await alertmanager.alerts().filter { Self.labels($0)["alertname"] == "MetricFamilyPresent" }
                return alerts.isEmpty ? nil : alerts
            }
            #expect(held.allSatisfy { Self.labels($0)["family"]?.hasPrefix("modelwatch_") == true })
            let scrape = try await sidecar.scrape()
            #expect(scrape.value("modelwatch_notifications_total", ["result": "sent"]) > 0)
            #expect(scrape.value("modelwatch_notifications_queue_length") <= 3)
            await alertmanager.stop()
        }
        await receiver.shutdown()
    }

    @Test("a restart while an alert fires pages once; the pending alert keeps its for timer")
    func restartPagesOnce() async throws {
        let receiver = try await TestBackend.start()
        let alertmanager = try await AlertmanagerProcess.start(webhookPort: receiver.port)
        defer { Task { await alertmanager.stop() } }
        let rules = try Self.ruleFile(Self.rules)
        defer { try? FileManager.default.removeItem(atPath: rules) }
        // The backend is down from the start: nothing listens on the port.
        let backendPort = try await freePort()
        var sidecar = try await ModelWatchProcess.start(
            upstream: "http://127.0.0.1:\(backendPort)", upstreamSettings: ["readiness_timeout": "1s"],
            sections: Self.sections(rules: rules, alertmanagerPort: alertmanager.port))
        do {
            let firing = try await eventually("the firing notification at the webhook") {
                WebhookNotification.received(by: receiver).first { $0.status == "firing" && $0.mentions("ModelBackendDown") }
            }
            let startsAt = try #require(firing.alerts.first?["startsAt"] as? String)
            let pendingBefore = try await eventually("the pending alert's activeAt") {
                try await Self.activeAt(of: "ModelBackendDownLong", sidecar)
            }

            await sidecar.stop()
            sidecar = try await ModelWatchProcess.start(configurationPath: sidecar.configurationPath, storagePath: sidecar.storagePath)
            // The new process fires again and has told Alertmanager so.
            _ = try await eventually("the restarted sidecar sending its firing alert") {
                let scrape = try await sidecar.scrape()
                return scrape.value("modelwatch_notifications_total", ["result": "sent"]) >= 1 ? scrape : nil
            }
            // The pending alert came back with its earlier start (plus the downtime; saved in whole
            // seconds, as Prometheus saves it), not the restarted process's first evaluation, which
            // is where the unrestored short alert starts again.
            let pendingAfter = try await eventually("the restored pending alert") {
                try await Self.activeAt(of: "ModelBackendDownLong", sidecar)
            }
            let restartedShort = try await eventually("the short alert again") { try await Self.activeAt(of: "ModelBackendDown", sidecar) }
            #expect(pendingAfter.timeIntervalSince1970 >= pendingBefore.timeIntervalSince1970.rounded(.down))
            #expect(pendingAfter < restartedShort)

            // Resolve it: the resolution goes out after everything Alertmanager heard from both processes.
            let backend = try await TestBackend.start(port: backendPort)
            let resolved = try await eventually("the resolved notification at the webhook") {
                WebhookNotification.received(by: receiver).first { $0.status == "resolved" && $0.mentions("ModelBackendDown") }
            }
            let notifications = WebhookNotification.received(by: receiver).filter { $0.mentions("ModelBackendDown") }
            #expect(notifications.filter { $0.status == "firing" }.count == 1, "\(notifications.map(\.status))")
            #expect(resolved.alerts.first?["startsAt"] as? String == startsAt)
            await backend.shutdown()
        } catch {
            Issue.record("sidecar log:\n\(sidecar.log)\nalertmanager log:\n\(alertmanager.log)")
            await sidecar.stop()
            await receiver.shutdown()
            throw error
        }
        await sidecar.stop()
        await receiver.shutdown()
    }

    @Test("each Alertmanager gets its own credentials and a JSON list of alerts on POST /api/v2/alerts")
    func credentialsOnTheWire() async throws {
        // Two recording stand-ins for Alertmanagers: the headers are what is checked here.
        let basic = try await TestBackend.start()
        let bearer = try await TestBackend.start()
        let rules = try Self.ruleFile(
            "groups:\n  - name: always\n    interval: 300ms\n    rules:\n      - alert: Always\n        expr: vector(1)\n")
        let token = rules + ".token"
        try "t0ken\n".write(toFile: token, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: rules)
            try? FileManager.default.removeItem(atPath: token)
        }
        let sections = """
            rules:
              files: [\(rules)]
            alerting:
              alertmanagers:
                - url: http://127.0.0.1:\(basic.port)/am
                  basic_auth: {username: mw, password: s3cret}
                - url: http://127.0.0.1:\(bearer.port)
                  bearer_token_file: \(token)
            storage:
              scrape_interval: 100ms

            """
        try await withSidecar(sections: sections) { _, _ in
            let first = try await eventually("a POST with basic auth") { basic.requests.first }
            #expect(first.head.method == .POST)
            #expect(first.head.uri == "/am/api/v2/alerts")
            #expect(first.head.headers["authorization"] == ["Basic " + Data("mw:s3cret".utf8).base64EncodedString()])
            #expect(first.head.headers["content-type"] == ["application/json"])
            let alerts = try JSONSerialization.jsonObject(with: Data(String(buffer: first.body).utf8)) as? [[String: Any]]
            #expect(alerts?.count == 1)
            #expect((alerts?.first?["labels"] as? [String: String]) == ["alertname": "Always"])
            for field in ["startsAt", "endsAt", "generatorURL"] { #expect(alerts?.first?[field] is String, "\(field)") }
            let second = try await eventually("a POST with a bearer token") { bearer.requests.first }
            #expect(second.head.uri == "/api/v2/alerts")
            #expect(second.head.headers["authorization"] == ["Bearer t0ken"])
        }
        await basic.shutdown()
        await bearer.shutdown()
    }

    @Test("an https Alertmanager is reached with its ca_file and refused without it, each on its own")
    func httpsWithCAFile() async throws {
        // A real HTTPS server with a certificate from a throwaway CA, accepting every POST.
        let server = try await TLSTests.HTTPSBackend.start()
        defer { server.stop() }
        let rules = try Self.ruleFile(
            "groups:\n  - name: always\n    interval: 300ms\n    rules:\n      - alert: Always\n        expr: vector(1)\n")
        defer { try? FileManager.default.removeItem(atPath: rules) }
        let sections = """
            rules:
              files: [\(rules)]
            alerting:
              alertmanagers:
                - url: https://127.0.0.1:\(server.port)
                  ca_file: \(server.caFile)
                - url: https://127.0.0.1:\(server.port)/untrusted
            storage:
              scrape_interval: 100ms

            """
        try await withSidecar(sections: sections) { _, sidecar in
            let scrape = try await eventually("one Alertmanager taking alerts and the other refusing them") {
                let scrape = try await sidecar.scrape()
                let sent = scrape.value("modelwatch_notifications_total", ["result": "sent"])
                let failed = scrape.value("modelwatch_notifications_total", ["result": "failed"])
                return sent >= 1 && failed >= 1 ? scrape : nil
            }
            // Only the first can have taken them: the second's certificate check fails every time.
            #expect(scrape.value("modelwatch_notifications_total", ["result": "sent"]) >= 1)
            // Each Alertmanager's failures are its own: only the untrusted one is refused, and said so.
            let refusals = sidecar.log.split(separator: "\n").filter { $0.contains("Alertmanager did not take alerts") }
            #expect(!refusals.isEmpty)
            #expect(refusals.allSatisfy { $0.contains("/untrusted/api/v2/alerts") }, "\(refusals)")
        }
    }

    /// When the sidecar's `/api/v1/alerts` says the alert named `name` became active.
    static func activeAt(of name: String, _ sidecar: ModelWatchProcess) async throws -> Date? {
        let answer = QueryAPITests.json(try await QueryAPITests.get(sidecar, "/api/v1/alerts"))
        let alerts = (answer["data"] as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
        guard let alert = alerts.first(where: { Self.labels($0)["alertname"] == name }), let text = alert["activeAt"] as? String else {
            return nil
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
