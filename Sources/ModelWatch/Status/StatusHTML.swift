import Foundation
import ModelWatchDrift
import ModelWatchQuery

/// The status page's HTML: inline CSS, inline SVG charts, a refresh every 30 seconds, no script.
enum StatusHTML {
    static func overview(_ overview: StatusPage.Overview, version: String) -> String {
        var body = Self.header(overview, version: version)
        body += "<h2>Models</h2>\n"
        if overview.rows.isEmpty {
            body += "<p class=\"muted\">No traffic recorded yet.</p>\n"
        } else {
            // The shadow column appears once a model is shadowed.
            let shadowed = overview.rows.contains { $0.shadow != nil }
            body += """
                <table>
                <tr><th>Model</th><th>Version</th><th>Requests</th><th>Rate (5m)</th><th>Errors (5m)</th><th>p99 (5m)</th><th>Drift</th>\
                \(shadowed ? "<th>Shadow match (1h)</th>" : "")<th>Rate, last hour</th><th>p99, last hour</th></tr>

                """
            for row in overview.rows {
                let verdicts = overview.driftVerdicts[row.model] ?? []
                let drifting = verdicts.filter { $0.verdict == "drift" }.map(\.feature)
                let drift =
                    verdicts.isEmpty
                    ? "<span class=\"muted\">\(overview.baselineModels.contains(row.model) ? "first minute not judged yet" : "no baseline")</span>"
                    : drifting.isEmpty
                        ? Self.badge(verdicts.allSatisfy { $0.verdict == "insufficient_data" } ? "insufficient data" : "ok")
                        : Self.badge("drift") + " " + Self.escape(drifting.joined(separator: ", "))
                body += "<tr class=\"model\" data-model=\"\(Self.escape(row.model))\" data-version=\"\(Self.escape(row.version))\">"
                body += "<td><a href=\"/models/\(Self.pathEscape(row.model))\">\(Self.escape(row.model))</a></td>"
                body += "<td>\(Self.escape(row.version.isEmpty ? "—" : row.version))</td>"
                body += "<td class=\"num requests\">\(GoFloat.format(row.requests))</td>"
                body += "<td class=\"num\">\(Self.number(row.rate)) /s</td>"
                body += "<td class=\"num\">\(row.errorRatio.map { Self.percent($0) } ?? "—")</td>"
                body += "<td class=\"num\">\(row.p99.map { Self.seconds($0) } ?? "—")</td>"
                body += "<td>\(drift)</td>"
                if shadowed { body += "<td class=\"num shadow\">\(Self.shadow(row.shadow))</td>" }
                body += "<td>\(SVGChart.render(row.rateChart, unit: "/s"))</td>"
                body += "<td>\(SVGChart.render(row.p99Chart, unit: "s"))</td></tr>\n"
            }
            body += "</table>\n"
        }
        body += Self.alerts(overview.alerts)
        return Self.page(title: "ModelWatch", body: body)
    }

    /// "99.9% of 1 000", with the errors when there were any; a dash for a model not shadowed.
    static func shadow(_ summary: StatusPage.ShadowSummary?) -> String {
        guard let summary else { return "—" }
        guard let rate = summary.matchRate else {
            return summary.errors > 0 ? "\(GoFloat.format(summary.errors.rounded())) errors" : "<span class=\"muted\">none yet</span>"
        }
        let compared = GoFloat.format((summary.matched + summary.mismatched).rounded())
        let errors = summary.errors >= 0.5 ? ", \(GoFloat.format(summary.errors.rounded())) errors" : ""
        let text = "\(Self.percent(rate)) of \(compared)\(errors)"
        // Marked as the shipped ModelShadowMismatchRatioHigh alert would judge it: over 1% disagree.
        return rate < 0.99 ? "<span class=\"badge drift\">\(Self.escape(text))</span>" : text
    }

    static func model(_ model: String, overview: StatusPage.Overview, drift: [StatusPage.FeatureDrift], version: String) -> String {
        var body = Self.header(overview, version: version)
        body += "<p><a href=\"/\">← all models</a></p>\n<h2>\(Self.escape(model))</h2>\n"
        body += "<h3>Drift per feature and output</h3>\n"
        if drift.isEmpty {
            body += "<p class=\"muted\">No drift statistics: this model has no baseline (drift.models in modelwatch.yaml).</p>\n"
        } else {
            let statistics = Array(Set(drift.flatMap { $0.statistics.map(\.0) })).sorted()
            body += "<table>\n<tr><th>Name</th><th>Role</th><th>Verdict</th>"
            body += statistics.map { "<th>\(Self.escape($0.rawValue))</th>" }.joined() + "<th>PSI, last hour</th></tr>\n"
            for feature in drift {
                body += "<tr class=\"feature\" data-feature=\"\(Self.escape(feature.name))\"><td>\(Self.escape(feature.name))</td>"
                body +=
                    "<td>\(feature.isOutput ? "output" : "feature")</td><td>\(Self.badge(feature.verdict.replacingOccurrences(of: "_", with: " ")))</td>"
                for statistic in statistics {
                    let value = feature.statistics.first { $0.0 == statistic }?.1
                    body += "<td class=\"num\">\(value.map { $0.isNaN ? "—" : Self.number($0) } ?? "")</td>"
                }
                body += "<td>\(SVGChart.render(feature.psiChart, unit: ""))</td></tr>\n"
            }
            body += "</table>\n"
        }
        body += Self.alerts(overview.alerts.filter { $0.labels.contains("model=\(model)") })
        return Self.page(title: "ModelWatch — \(model)", body: body)
    }

    static func notFound(_ model: String) -> String {
        Self.page(
            title: "Not found",
            body:
                "<h1>Not found</h1>\n<p>No traffic of a model named <code>\(Self.escape(model))</code> is recorded. <a href=\"/\">All models</a></p>\n"
        )
    }

    static func failure(_ message: String) -> String {
        Self.page(title: "ModelWatch", body: "<h1>ModelWatch</h1>\n<p class=\"bad\">\(Self.escape(message))</p>\n")
    }

    // MARK: Parts

    private static func header(_ overview: StatusPage.Overview, version: String) -> String {
        let formatter = ISO8601DateFormatter()
        let time = formatter.string(from: Date(timeIntervalSince1970: Double(overview.time) / 1000))
        var text = "<h1>ModelWatch <span class=\"muted\">\(Self.escape(version))</span></h1>\n<p>"
        if let backend = overview.backend {
            text += "Backend: \(Self.badge(backend.ready ? "ready" : "not ready")) \(Self.escape(backend.detail)) · "
        }
        text += "history <code>\(Self.escape(overview.storagePath))</code> · \(time) · refreshes every 30 s</p>\n"
        return text
    }

    private static func alerts(_ alerts: [StatusPage.Alert]) -> String {
        var text = "<h2>Alerts</h2>\n"
        guard !alerts.isEmpty else { return text + "<p class=\"muted\">No pending or firing alerts.</p>\n" }
        text += "<table>\n<tr><th>Alert</th><th>State</th><th>Labels</th></tr>\n"
        for alert in alerts {
            text += "<tr class=\"alert\"><td>\(Self.escape(alert.name))</td><td>\(Self.badge(alert.state))</td>"
            text += "<td>\(Self.escape(alert.labels))</td></tr>\n"
        }
        return text + "</table>\n"
    }

    private static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Self.escape(title))</title>
        <style>
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#1f2328;background:#fff}
        h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.4em 0 .5em}h3{font-size:1em}
        table{border-collapse:collapse}th,td{padding:.35em .7em;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:middle}
        th{background:#f6f8fa;font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}
        .muted{color:#656d76}.badge{padding:.1em .5em;border-radius:1em;font-size:.85em;font-weight:600;white-space:nowrap}
        .ok,.ready,.inactive{background:#dafbe1;color:#116329}.warn,.pending,.insufficient{background:#fff8c5;color:#7d4e00}
        .drift,.firing,.not{background:#ffebe9;color:#a40e26}.bad{color:#a40e26}
        svg{display:block}code{background:#f6f8fa;padding:0 .3em;border-radius:3px}a{color:#0969da}
        </style></head>
        <body>
        \(body)</body></html>

        """
    }

    static func badge(_ text: String) -> String {
        let kind = text.split(separator: " ").first.map(String.init) ?? text
        return "<span class=\"badge \(Self.escape(kind))\">\(Self.escape(text))</span>"
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return GoFloat.format(value) }
        if value == 0 { return "0" }
        if abs(value) >= 1000 || abs(value) < 0.001 { return String(format: "%.3g", value) }
        return String(format: "%.3f", value).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
    }

    static func percent(_ ratio: Double) -> String {
        ratio.isFinite ? String(format: "%.2f %%", ratio * 100) : "—"
    }

    static func seconds(_ value: Double) -> String {
        guard value.isFinite else { return "—" }
        return value < 1 ? String(format: "%.1f ms", value * 1000) : String(format: "%.2f s", value)
    }

    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// A model name as one path segment.
    static func pathEscape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
