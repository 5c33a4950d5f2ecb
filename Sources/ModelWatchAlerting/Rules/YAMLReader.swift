import Yams

/// Reads YAML nodes strictly, as Prometheus's `yaml.UnmarshalStrict` does: unknown keys and
/// repeated keys are refused, every error names the line.
struct YAMLReader {
    let path: String

    /// Parses a whole document; an empty file is an empty mapping.
    func document(_ text: String) throws(RuleFileError) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw RuleFileError(.syntax, path: self.path, line: Self.line(of: error), "not valid YAML: \(Self.summary(error))")
        } catch {
            throw RuleFileError(.syntax, path: self.path, line: nil, "not valid YAML: \(error)")
        }
    }

    func line(_ node: Node) -> Int? { node.mark.map { $0.line } }

    func fail(_ node: Node, _ reason: String, code: RuleFileError.Code = .invalid) -> RuleFileError {
        RuleFileError(code, path: self.path, line: self.line(node), reason)
    }

    /// The entries of a mapping in file order, only the keys `allowed`.
    func mapping(_ node: Node, allowed: Set<String>, in type: String) throws(RuleFileError) -> [(key: String, value: Node, line: Int?)] {
        guard case .mapping(let mapping) = node else { throw self.fail(node, "expected a mapping in \(type)", code: .syntax) }
        var result: [(key: String, value: Node, line: Int?)] = []
        var seen: Set<String> = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else { throw self.fail(keyNode, "keys must be plain names", code: .syntax) }
            guard allowed.contains(key) else { throw self.fail(keyNode, "field \(key) not found in type \(type)", code: .syntax) }
            guard seen.insert(key).inserted else { throw self.fail(keyNode, "field \(key) already set in type \(type)", code: .syntax) }
            result.append((key, value, self.line(keyNode)))
        }
        return result
    }

    func sequence(_ node: Node, of key: String) throws(RuleFileError) -> [Node] {
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "null" || scalar.string == "~" { return [] }
        guard case .sequence(let sequence) = node else { throw self.fail(node, "\(key): expected a list", code: .syntax) }
        return Array(sequence)
    }

    func string(_ node: Node, of key: String) throws(RuleFileError) -> String {
        guard let scalar = node.scalar else { throw self.fail(node, "\(key): expected a single value", code: .syntax) }
        if scalar.style == .plain, scalar.string == "null" || scalar.string == "~" { return "" }
        return scalar.string
    }

    /// A map of strings (labels, annotations), sorted by name.
    func stringMap(_ node: Node, of key: String) throws(RuleFileError) -> [(String, String)] {
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "null" { return [] }
        guard case .mapping(let mapping) = node else { throw self.fail(node, "\(key): expected a mapping", code: .syntax) }
        var result: [(String, String)] = []
        for (name, value) in mapping {
            result.append((try self.string(name, of: key), try self.string(value, of: key)))
        }
        return result.sorted { $0.0 < $1.0 }
    }

    /// A Prometheus duration (`30s`, `1h30m`, `0`), in milliseconds.
    func duration(_ node: Node, of key: String) throws(RuleFileError) -> Int64 {
        let text = try self.string(node, of: key)
        if text == "0" { return 0 }
        guard let milliseconds = RuleDuration.parse(text) else {
            throw self.fail(node, "\(key): not a valid duration string: \"\(text)\"")
        }
        return milliseconds
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    static func summary(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        default: "\(error)"
        }
    }
}
