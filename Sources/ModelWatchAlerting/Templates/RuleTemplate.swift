/// Expands a rule's label and annotation templates as Prometheus does: `$labels`, `$value`,
/// `$externalLabels` and `$externalURL` defined in front of the text, and a failure rendered as
/// `<error expanding template: …>` instead of the text.
public enum RuleTemplate {
    /// What Prometheus puts in front of every rule template, so the variables exist (and so error
    /// positions on the first line count from the same place as Prometheus's).
    static let definitions =
        "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

    /// Parses a template as a rule's, for checking at load.
    /// - Throws: `TemplateError` with the message Prometheus gives.
    public static func check(_ text: String, rule: String) throws(TemplateError) {
        let name = "__alert_" + rule
        do {
            _ = try Template(name: name, text: Self.definitions + text)
        } catch {
            throw TemplateError(.parse, "error parsing template \(name): \(error.message)")
        }
    }

    /// Expands one template for one alert.
    /// - Parameters:
    ///   - text: the label value or annotation as written.
    ///   - rule: the alert name (the template is called `__alert_NAME`).
    ///   - labels: the series' labels.
    ///   - value: the series' value.
    ///   - externalLabels: the configured external labels.
    ///   - externalURL: the URL alerts link back to.
    /// - Returns: the text, or `<error expanding template: …>`.
    public static func expand(
        _ text: String, rule: String, labels: [String: String], value: Double, externalLabels: [String: String] = [:],
        externalURL: String = ""
    ) -> String {
        guard text.contains("{{") else { return text }
        let name = "__alert_" + rule
        let template: Template
        do {
            template = try Template(name: name, text: Self.definitions + text)
        } catch {
            return "<error expanding template: error parsing template \(name): \(error.message)>"
        }
        let dot = TemplateValue.record([
            "Labels": .labels(labels), "ExternalLabels": .labels(externalLabels), "ExternalURL": .string(externalURL),
            "Value": .float(value),
        ])
        do {
            return try template.render(dot: dot)
        } catch {
            return "<error expanding template: error executing template \(name): \(error.message)>"
        }
    }
}
