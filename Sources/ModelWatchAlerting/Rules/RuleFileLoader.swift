import Foundation
import ModelWatchQuery
import Yams

/// Reads rule files in Prometheus's format (`groups:` of alerting and recording rules) and
/// checks them as Prometheus does when it loads them: unknown fields, missing names, bad
/// durations, bad label names, PromQL that does not parse, templates that do not parse.
public enum RuleFileLoader {
    /// Reads and checks one rule file.
    /// - Throws: `RuleFileError` with the file, the line and the reason.
    public static func load(path: String) throws(RuleFileError) -> [RuleGroup] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RuleFileError(.unreadable, path: path, line: nil, "cannot read the file: \(error.localizedDescription)")
        }
        return try Self.parse(text, path: path)
    }

    /// Checks the text of a rule file.
    /// - Parameter path: the name errors give the file.
    public static func parse(_ text: String, path: String) throws(RuleFileError) -> [RuleGroup] {
        let reader = YAMLReader(path: path)
        guard let root = try reader.document(text) else { return [] }
        var groups: [RuleGroup] = []
        var names: Set<String> = []
        for entry in try reader.mapping(root, allowed: ["groups"], in: "rulefmt.RuleGroups") {
            for node in try reader.sequence(entry.value, of: "groups") {
                let group = try Self.group(node, reader: reader)
                guard names.insert(group.name).inserted else {
                    throw reader.fail(node, "groupname: \"\(group.name)\" is repeated in the same file")
                }
                groups.append(group)
            }
        }
        return groups
    }

    private static func group(_ node: Node, reader: YAMLReader) throws(RuleFileError) -> RuleGroup {
        var group = RuleGroup(name: "", file: reader.path, interval: nil, limit: 0, rules: [])
        var ruleNodes: [Node] = []
        for entry in try reader.mapping(node, allowed: ["name", "interval", "limit", "rules"], in: "rulefmt.RuleGroup") {
            switch entry.key {
            case "name": group.name = try reader.string(entry.value, of: "name")
            case "interval":
                let interval = try reader.duration(entry.value, of: "interval")
                group.interval = interval == 0 ? nil : interval
            case "limit":
                let text = try reader.string(entry.value, of: "limit")
                guard let limit = Int(text), limit >= 0 else {
                    throw reader.fail(entry.value, "limit: expected a whole number, got \"\(text)\"")
                }
                group.limit = limit
            default:
                ruleNodes = try reader.sequence(entry.value, of: "rules")
            }
        }
        guard !group.name.isEmpty else { throw reader.fail(node, "Groupname must not be empty") }
        for (index, ruleNode) in ruleNodes.enumerated() {
            // Worded as promtool check rules words it, so the two point at the same rule.
            group.rules.append(try Self.rule(ruleNode, reader: reader, context: "group \"\(group.name)\", rule \(index + 1), "))
        }
        return group
    }

    private static func rule(_ node: Node, reader: YAMLReader, context: String) throws(RuleFileError) -> Rule {
        var record: String?
        var alert: String?
        var expression = ""
        var expressionNode: Node?
        var hold: Int64 = 0
        var keepFiring: Int64 = 0
        var labels: [(String, String)] = []
        var annotations: [(String, String)]?
        var recordingOnlyViolations: [String] = []
        let allowed: Set<String> = ["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"]
        for entry in try reader.mapping(node, allowed: allowed, in: "rulefmt.RuleNode") {
            switch entry.key {
            case "record": record = try reader.string(entry.value, of: "record")
            case "alert": alert = try reader.string(entry.value, of: "alert")
            case "expr":
                expression = try reader.string(entry.value, of: "expr")
                expressionNode = entry.value
            case "for":
                hold = try reader.duration(entry.value, of: "for")
                recordingOnlyViolations.append("for")
            case "keep_firing_for":
                keepFiring = try reader.duration(entry.value, of: "keep_firing_for")
                recordingOnlyViolations.append("keep_firing_for")
            case "labels": labels = try reader.stringMap(entry.value, of: "labels")
            case "annotations":
                annotations = try reader.stringMap(entry.value, of: "annotations")
                recordingOnlyViolations.append("annotations")
            default: break
            }
        }
        let name: String
        switch (record, alert) {
        case (.some, .some): throw reader.fail(node, context + "only one of 'record' and 'alert' must be set")
        case (nil, nil), (.some(""), nil), (nil, .some("")): throw reader.fail(node, context + "one of 'record' or 'alert' must be set")
        case (.some(let value), nil), (nil, .some(let value)): name = value
        }
        let context = context + "\"\(name)\": "
        guard !expression.isEmpty else { throw reader.fail(node, context + "field 'expr' must be set in rule") }
        let parsed: PromQLExpression
        do {
            parsed = try Parser.parse(expression)
        } catch {
            let line = expressionNode.flatMap { reader.line($0) }
            throw RuleFileError(.expression, path: reader.path, line: line, context + "could not parse expression: \(error)")
        }
        for (labelName, _) in labels where !Self.isLabelName(labelName) || labelName == "__name__" {
            throw reader.fail(node, context + "invalid label name: \(labelName)")
        }
        if record != nil {
            if let field = recordingOnlyViolations.first { throw reader.fail(node, context + "invalid field '\(field)' in recording rule") }
            guard Self.isMetricName(name) else { throw reader.fail(node, context + "invalid recording rule name: \(name)") }
            return .recording(
                RecordingRule(name: name, expression: parsed, expressionText: expression, labels: labels, line: reader.line(node)))
        }
        for (annotation, _) in annotations ?? [] where !Self.isLabelName(annotation) {
            throw reader.fail(node, context + "invalid annotation name: \(annotation)")
        }
        for (key, text) in labels + (annotations ?? []) {
            do {
                try RuleTemplate.check(text, rule: name)
            } catch {
                throw RuleFileError(.template, path: reader.path, line: reader.line(node), context + "\(key): \(error)")
            }
        }
        return .alerting(
            AlertingRule(
                name: name, expression: parsed, expressionText: expression, holdDuration: hold, keepFiringFor: keepFiring,
                labels: labels, annotations: annotations ?? [], line: reader.line(node)))
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    public static func isLabelName(_ text: String) -> Bool {
        guard let first = text.utf8.first, first == UInt8(ascii: "_") || Self.isLetter(first) else { return false }
        return text.utf8.allSatisfy { $0 == UInt8(ascii: "_") || Self.isLetter($0) || ($0 >= 48 && $0 <= 57) }
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    static func isMetricName(_ text: String) -> Bool {
        guard let first = text.utf8.first, first == UInt8(ascii: "_") || first == UInt8(ascii: ":") || Self.isLetter(first) else {
            return false
        }
        return text.utf8.allSatisfy { $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ":") || Self.isLetter($0) || ($0 >= 48 && $0 <= 57) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) }
}
