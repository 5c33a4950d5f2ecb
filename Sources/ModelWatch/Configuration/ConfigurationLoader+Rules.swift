import Glibc
import ModelWatchAlerting
import Yams

extension DocumentReader {
    /// `rules.files` and `rules.evaluation_interval`; every matched file is read and checked here,
    /// so `modelwatch check` refuses a bad rule with its file, line and reason.
    func readRules(_ value: Node, into draft: inout Draft) throws(ConfigurationError) {
        for (field, node) in try self.entries(of: value, section: "rules") {
            switch field.name {
            case "files":
                draft.origins["rules.files"] = self.origin(node)
                guard case .sequence(let items) = node else { throw self.error(node, key: "rules.files", "expected a list of paths") }
                for item in items {
                    let pattern = try self.string(item, key: "rules.files")
                    let resolved = ConfigurationChecks.resolve(pattern, against: self.source)
                    let matches = Self.glob(resolved)
                    guard !matches.isEmpty else { throw self.error(item, key: "rules.files", "no file matches \(resolved)") }
                    draft.rules.patterns.append(pattern)
                    for path in matches {
                        do {
                            draft.rules.groups += try RuleFileLoader.load(path: path)
                        } catch {
                            throw ConfigurationError(source: error.path, line: error.line, key: nil, message: error.reason)
                        }
                    }
                }
            case "evaluation_interval":
                let interval = try self.duration(node, key: "rules.evaluation_interval", allowZero: false)
                let (seconds, attoseconds) = interval.components
                draft.rules.evaluationInterval = seconds * 1000 + attoseconds / 1_000_000_000_000_000
            default:
                throw self.unknownKey(field, section: "rules")
            }
        }
    }

    private static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in result.gl_pathv[index].map { String(cString: $0) } }
    }
}
