import Glibc
import ModelWatchAlerting
import ModelWatchProxy
import ModelWatchQuery
import ModelWatchStore

/// `/api/v1/rules` and `/api/v1/alerts` in Prometheus 2.42's shapes, which Grafana reads.
extension PrometheusAPI {
    func rules(_ request: APIRequest) -> APIResponse {
        let groups = self.rules?.snapshot ?? []
        let kind = request["type"]
        var entries: [String] = []
        for group in groups {
            var rules: [String] = []
            for state in group.rules {
                switch state.rule {
                case .alerting(let rule) where kind == nil || kind == "alert":
                    let alerts = state.machine?.current ?? []
                    let ruleState = alerts.map(\.state).max() ?? .inactive
                    var fields = [
                        "\"state\":\(JSONString.quoted(ruleState.rawValue))", "\"name\":\(JSONString.quoted(rule.name))",
                        "\"query\":\(JSONString.quoted(rule.expressionText))", "\"duration\":\(Double(rule.holdDuration) / 1000)",
                        "\"keepFiringFor\":\(Double(rule.keepFiringFor) / 1000)", "\"labels\":\(Self.object(rule.labels))",
                        "\"annotations\":\(Self.object(rule.annotations))",
                        "\"alerts\":[" + alerts.map(Self.alert).joined(separator: ",") + "]",
                    ]
                    fields += Self.health(state)
                    fields.append("\"type\":\"alerting\"")
                    rules.append("{" + fields.joined(separator: ",") + "}")
                case .recording(let rule) where kind == nil || kind == "record":
                    var fields = [
                        "\"name\":\(JSONString.quoted(rule.name))", "\"query\":\(JSONString.quoted(rule.expressionText))",
                        "\"labels\":\(Self.object(rule.labels))",
                    ]
                    fields += Self.health(state)
                    fields.append("\"type\":\"recording\"")
                    rules.append("{" + fields.joined(separator: ",") + "}")
                default: break
                }
            }
            let head: String =
                "{\"name\":\(JSONString.quoted(group.group.name)),\"file\":\(JSONString.quoted(group.group.file)),\"rules\":["
            let interval: String = "],\"interval\":\(Double(group.interval) / 1000),\"limit\":\(group.group.limit),"
            let timing: String =
                "\"evaluationTime\":\(group.evaluationSeconds),\"lastEvaluation\":\(JSONString.quoted(Self.timestamp(group.lastEvaluation)))}"
            entries.append(head + rules.joined(separator: ",") + interval + timing)
        }
        return .success("{\"groups\":[" + entries.joined(separator: ",") + "]}")
    }

    func alerts() -> APIResponse {
        let alerts = (self.rules?.snapshot ?? []).flatMap { group in group.rules.flatMap { $0.machine?.current ?? [] } }
        return .success("{\"alerts\":[" + alerts.map(Self.alert).joined(separator: ",") + "]}")
    }

    private static func health(_ state: RuleGroupEvaluator.RuleState) -> [String] {
        var fields = ["\"health\":\(JSONString.quoted(state.health))"]
        if let error = state.lastError { fields.append("\"lastError\":\(JSONString.quoted(error))") }
        fields.append("\"evaluationTime\":\(state.evaluationSeconds)")
        fields.append("\"lastEvaluation\":\(JSONString.quoted(Self.timestamp(state.lastEvaluation)))")
        return fields
    }

    private static func alert(_ alert: Alert) -> String {
        let labels = alert.labels.pairs.map { ($0.name, $0.value) }
        let annotations = alert.annotations.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let head: String = "{\"labels\":\(Self.object(labels)),\"annotations\":\(Self.object(annotations)),"
        let state: String =
            "\"state\":\(JSONString.quoted(alert.state.rawValue)),\"activeAt\":\(JSONString.quoted(Self.timestamp(alert.activeAt))),"
        return head + state + "\"value\":\(JSONString.quoted(alert.valueText))}"
    }

    /// A JSON object of string values, in the order given.
    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\(JSONString.quoted($0.0)):\(JSONString.quoted($0.1))" }.joined(separator: ",") + "}"
    }

    /// RFC 3339 in UTC as Go marshals a `time.Time` (`2026-12-01T23:05:00.123Z`); Go's zero time for never.
    static func timestamp(_ milliseconds: Int64?) -> String {
        guard let milliseconds else { return "0001-01-01T00:00:00Z" }
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var text =
            "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        let fraction = milliseconds % 1000
        if fraction > 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 3 - digits.count) + digits
            while digits.last == "0" { digits.removeLast() }
            text += "." + digits
        }
        return text + "Z"
    }
}
