import ModelWatchAlerting
import ModelWatchProxy
import ModelWatchQuery
import ModelWatchStore

/// The body of Alertmanager's `POST /api/v2/alerts`: a JSON array of `postableAlert`s with
/// `labels`, `annotations`, `startsAt`, `endsAt` and `generatorURL`, as Prometheus sends them.
enum AlertmanagerPayload {
    static let contentType = "application/json"

    static func encode(_ alerts: [AlertNotification]) -> [UInt8] {
        var text = "["
        for (index, alert) in alerts.enumerated() {
            if index > 0 { text += "," }
            text += "{\"labels\":" + PrometheusAPI.object(alert.labels.pairs.map { ($0.name, $0.value) })
            text += ",\"annotations\":" + PrometheusAPI.object(alert.annotations.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            text += ",\"startsAt\":" + JSONString.quoted(PrometheusAPI.timestamp(alert.startsAt))
            text += ",\"endsAt\":" + JSONString.quoted(PrometheusAPI.timestamp(alert.endsAt))
            text += ",\"generatorURL\":" + JSONString.quoted(alert.generatorURL) + "}"
        }
        return Array((text + "]").utf8)
    }
}
