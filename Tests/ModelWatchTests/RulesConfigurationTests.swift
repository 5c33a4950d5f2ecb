import Foundation
import ModelWatchAlerting
import Testing

@testable import ModelWatch

@Suite("Rules configuration")
struct RulesConfigurationTests {
    /// A directory with `rules/a.yaml` and `rules/b.yaml`, removed after `body`.
    func withRuleFiles(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/rules", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "groups:\n  - name: a\n    rules:\n      - record: r\n        expr: up\n".write(
            toFile: directory + "/rules/a.yaml", atomically: true, encoding: .utf8)
        try "groups:\n  - name: b\n    interval: 30s\n    rules:\n      - alert: X\n        expr: up == 0\n        for: 5m\n".write(
            toFile: directory + "/rules/b.yaml", atomically: true, encoding: .utf8)
        try body(directory)
    }

    @Test("globs are resolved against the configuration file's directory and every group is loaded")
    func globsRelativeToTheFile() throws {
        try self.withRuleFiles { directory in
            let yaml =
                "upstream:\n  url: http://a:1\nrules:\n  files:\n    - rules/*.yaml\n  evaluation_interval: 15s\nstorage:\n  path: \(directory)/m.db\n"
            let configuration = try ConfigurationLoader.load(path: directory + "/modelwatch.yaml", contents: yaml)
            #expect(configuration.rules.groups.map(\.name) == ["a", "b"])
            #expect(configuration.rules.groups.map(\.interval) == [nil, 30_000])
            #expect(configuration.rules.evaluationInterval == 15_000)
            #expect(configuration.rules.patterns == ["rules/*.yaml"])
        }
    }

    @Test("a pattern without a match is refused at its line")
    func noMatch() throws {
        try self.withRuleFiles { directory in
            let yaml = "upstream:\n  url: http://a:1\nrules:\n  files:\n    - nothing/*.yaml\n"
            #expect {
                try ConfigurationLoader.load(path: directory + "/modelwatch.yaml", contents: yaml)
            } throws: { error in
                "\(error)".contains("modelwatch.yaml:5: rules.files: no file matches \(directory)/nothing/*.yaml")
            }
        }
    }

    @Test("a bad rule file is refused with its own path and line")
    func badRuleFile() throws {
        try self.withRuleFiles { directory in
            try "groups:\n  - name: c\n    rules:\n      - record: r\n        expr: up\n        for: 1m\n".write(
                toFile: directory + "/rules/c.yaml", atomically: true, encoding: .utf8)
            let yaml = "upstream:\n  url: http://a:1\nrules:\n  files: [rules/*.yaml]\n"
            #expect {
                try ConfigurationLoader.load(path: directory + "/modelwatch.yaml", contents: yaml)
            } throws: { error in
                "\(error)" == "\(directory)/rules/c.yaml:4: group \"c\", rule 1, \"r\": invalid field 'for' in recording rule"
            }
        }
    }

    @Test("rules without the store are refused")
    func rulesNeedTheStore() throws {
        try self.withRuleFiles { directory in
            let yaml = "upstream:\n  url: http://a:1\nrules:\n  files: [rules/a.yaml]\nstorage:\n  enabled: false\n"
            #expect {
                try ConfigurationLoader.load(path: directory + "/modelwatch.yaml", contents: yaml)
            } throws: { error in
                "\(error)".contains("rules.files: rules are evaluated on the store's history")
            }
        }
    }

    @Test("unknown keys in rules are refused")
    func unknownKey() {
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(path: "m.yaml", contents: "upstream:\n  url: http://a:1\nrules:\n  file: [x]\n")
        }
    }
}
