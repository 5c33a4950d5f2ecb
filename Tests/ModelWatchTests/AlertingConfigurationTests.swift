import Foundation
import ModelWatchAlerting
import ModelWatchProxy
import ModelWatchQuery
import ModelWatchStore
import Testing

@testable import ModelWatch

@Suite("Alerting configuration")
struct AlertingConfigurationTests {
    func load(_ yaml: String, in directory: String = "/tmp") throws -> ModelWatchConfiguration {
        try ConfigurationLoader.load(path: directory + "/modelwatch.yaml", contents: "upstream:\n  url: http://a:1\n" + yaml)
    }

    func refusal(_ yaml: String, in directory: String = "/tmp") -> String {
        do {
            _ = try self.load(yaml, in: directory)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test("Alertmanagers, credentials, external labels and URL are read, paths relative to the file")
    func readsEverything() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-am-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "s3cret\n".write(toFile: directory + "/password", atomically: true, encoding: .utf8)
        try " token \n".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        let configuration = try self.load(
            """
            global:
              external_labels: {cluster: eu1, replica: a}
              external_url: http://modelwatch.example:9464/
            alerting:
              queue_capacity: 500
              resend_delay: 30s
              alertmanagers:
                - url: http://am-1:9093
                - url: https://am-2/prefix/
                  timeout: 3s
                  basic_auth: {username: mw, password_file: password}
                - url: http://am-3:9093
                  bearer_token_file: token
            """, in: directory)
        let alerting = configuration.alerting
        #expect(alerting.externalLabels == ["cluster": "eu1", "replica": "a"])
        #expect(alerting.externalURL == "http://modelwatch.example:9464")
        #expect(alerting.queueCapacity == 500)
        #expect(alerting.resendDelay == 30_000)
        #expect(
            alerting.alertmanagers.map(\.url) == [
                "http://am-1:9093/api/v2/alerts", "https://am-2:443/prefix/api/v2/alerts", "http://am-3:9093/api/v2/alerts",
            ])
        #expect(alerting.alertmanagers.map(\.timeout) == [.seconds(10), .seconds(3), .seconds(10)])
        #expect(alerting.alertmanagers[1].basicAuth == HTTPPostTarget.BasicAuth(username: "mw", password: "s3cret"))
        #expect(alerting.alertmanagers[2].bearerToken == "token")
    }

    @Test("defaults: no Alertmanager, a queue of 10000, resent every minute, the host's name in the external URL")
    func defaults() throws {
        let alerting = try self.load("").alerting
        #expect(alerting.alertmanagers.isEmpty)
        #expect(alerting.queueCapacity == 10_000)
        #expect(alerting.resendDelay == 60_000)
        #expect(alerting.externalURL == nil)
        #expect(
            AlertingConfiguration.defaultExternalURL(hostName: "node-7", admin: ListenAddress(host: "127.0.0.1", port: 9464))
                == "http://node-7:9464")
    }

    @Test(
        "bad values are refused with the file, line and key",
        arguments: [
            (
                "alerting:\n  alertmanagers:\n    - timeout: 1s\n",
                "modelwatch.yaml:5: alerting.alertmanagers[0].url: every Alertmanager needs a url"
            ),
            (
                "alerting:\n  alertmanagers:\n    - url: ftp://x\n",
                "modelwatch.yaml:5: alerting.alertmanagers[0].url: the scheme must be http or https"
            ),
            (
                "alerting:\n  alertmanagers:\n    - url: http://x:1\n      bearer_token: t\n      basic_auth: {username: u}\n",
                "modelwatch.yaml:7: alerting.alertmanagers[0].basic_auth: at most one of basic_auth, bearer_token"
            ),
            (
                "alerting:\n  alertmanagers:\n    - url: http://x:1\n      bearer_token_file: /nonexistent/token\n",
                "modelwatch.yaml:6: alerting.alertmanagers[0].bearer_token_file: /nonexistent/token:"
            ),
            (
                "alerting:\n  alertmanagers:\n    - url: http://x:1\n      ca_file: /nonexistent/ca.pem\n",
                "modelwatch.yaml:6: alerting.alertmanagers[0].ca_file: /nonexistent/ca.pem"
            ),
            (
                "alerting:\n  alertmanagers:\n    - url: http://x:1\n      tls: {}\n",
                "modelwatch.yaml:6: alerting.alertmanagers.tls: unknown key"
            ),
            ("alerting:\n  queue_capacity: 0\n", "modelwatch.yaml:4: alerting.queue_capacity: expected a whole number"),
            ("global:\n  external_labels: {1zone: a}\n", "modelwatch.yaml:4: global.external_labels.1zone: not a valid label name"),
            ("global:\n  external_url: modelwatch:9464\n", "modelwatch.yaml:4: global.external_url: expected a URL"),
            (
                "alerts: {}\n",
                "modelwatch.yaml:3: alerts: unknown key (expected one of: server, admin, upstream, analysis, models, storage, drift, query, rules, shadow, global, alerting)"
            ),
        ])
    func refusesBadValues(yaml: String, expected: String) {
        let refusal = self.refusal(yaml)
        #expect(refusal.hasPrefix("/tmp/" + expected), "\(refusal)")
    }
}

@Suite("Alertmanager payload")
struct AlertmanagerPayloadTests {
    @Test("alerts are encoded as Alertmanager's postableAlerts, times in RFC 3339 UTC")
    func encodes() throws {
        let alert = AlertNotification(
            labels: Labels([SeriesKey.Label("alertname", "Down"), SeriesKey.Label("job", "a\"b")]), annotations: ["summary": "down"],
            startsAt: 1_764_633_600_000, endsAt: 1_764_633_840_500, generatorURL: "http://x/graph?g0.expr=up&g0.tab=1")
        let text = String(decoding: AlertmanagerPayload.encode([alert]), as: UTF8.self)
        #expect(
            text
                == #"[{"labels":{"alertname":"Down","job":"a\"b"},"annotations":{"summary":"down"},"startsAt":"2025-12-02T00:00:00Z","endsAt":"2025-12-02T00:04:00.5Z","generatorURL":"http://x/graph?g0.expr=up&g0.tab=1"}]"#
        )
        let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
        #expect(decoded?.count == 1)
    }
}
