import Foundation
import NIOCore
import NIOHTTP1
import TestSupport

/// A real Alertmanager (Debian's `prometheus-alertmanager`) on a free loopback port, with its
/// configuration and storage in a temporary folder, routing every alert to one webhook with a
/// short `group_wait` and `group_interval` and a long `repeat_interval`, so a second page for the
/// same alert would come from the sender, not from Alertmanager's own repeat.
final class AlertmanagerProcess: Sendable {
    private let server: ServerProcess

    var port: Int { self.server.port }

    private init(server: ServerProcess) {
        self.server = server
    }

    /// Starts Alertmanager sending to `http://127.0.0.1:webhookPort/hook`.
    /// - Parameter port: where to listen; a free port unless given.
    static func start(webhookPort: Int, port: Int? = nil) async throws -> AlertmanagerProcess {
        let directory = try ServerProcess.makeDirectory("alertmanager")
        let configuration = """
            route:
              receiver: hook
              group_by: [alertname]
              group_wait: 200ms
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: hook
                webhook_configs:
                  - url: http://127.0.0.1:\(webhookPort)/hook
                    send_resolved: true
            """
        let configurationPath = directory.appendingPathComponent("alertmanager.yml").path
        try configuration.write(toFile: configurationPath, atomically: true, encoding: .utf8)
        let server = try await ServerProcess.start("prometheus-alertmanager", in: directory, port: port) { port in
            [
                "--config.file=\(configurationPath)", "--storage.path=\(directory.appendingPathComponent("data").path)",
                "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=", "--log.level=warn",
            ]
        }
        return AlertmanagerProcess(server: server)
    }

    var log: String { self.server.log }

    /// `GET /api/v2/alerts`: the alerts Alertmanager holds as active.
    func alerts() async throws -> [[String: Any]] {
        let response = try await TestClient.send(port: self.port, path: "/api/v2/alerts")
        guard response.status == 200, let alerts = try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [[String: Any]]
        else { throw TestFailure("GET /api/v2/alerts answered \(response.status): \(response.text)") }
        return alerts
    }

    func stop() async {
        await self.server.stop()
    }
}

/// One notification Alertmanager's webhook delivered: its `status` and its alerts.
struct WebhookNotification {
    let status: String
    let alerts: [[String: Any]]

    /// The notifications a `TestBackend` standing in as the webhook receiver recorded on `/hook`.
    static func received(by receiver: TestBackend) -> [WebhookNotification] {
        receiver.requests.filter { $0.head.uri == "/hook" }.compactMap { request in
            guard let document = try? JSONSerialization.jsonObject(with: Data(String(buffer: request.body).utf8)) as? [String: Any],
                let status = document["status"] as? String, let alerts = document["alerts"] as? [[String: Any]]
            else { return nil }
            return WebhookNotification(status: status, alerts: alerts)
        }
    }

    /// Whether it carries an alert named `alertname`.
    func mentions(_ alertname: String) -> Bool {
        self.alerts.contains { ($0["labels"] as? [String: String])?["alertname"] == alertname }
    }
}

/// Polls `probe` until it returns a value, or fails after `timeout` with `what`.
func eventually<Value>(
    _ what: String, timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(200), _ probe: () async throws -> Value?
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what)") }
        try await Task.sleep(for: interval)
    }
}
