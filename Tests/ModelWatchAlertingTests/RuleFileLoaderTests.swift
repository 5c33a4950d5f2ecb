import Testing

@testable import ModelWatchAlerting

@Suite struct RuleFileLoaderTests {
    @Test func readsGroupsAlertsAndRecords() throws {
        let text = """
            groups:
              - name: serving
                interval: 30s
                limit: 10
                rules:
                  - record: job:requests:rate5m
                    expr: sum by (job) (rate(requests_total[5m]))
                    labels:
                      team: ml
                  - alert: Down
                    expr: up == 0
                    for: 5m
                    keep_firing_for: 2m
                    labels:
                      severity: page
                    annotations:
                      summary: "{{ $labels.job }} is down"
            """
        let groups = try RuleFileLoader.parse(text, path: "r.yaml")
        #expect(groups.count == 1)
        #expect(groups[0].interval == 30_000)
        #expect(groups[0].limit == 10)
        guard case .recording(let record) = groups[0].rules[0], case .alerting(let alert) = groups[0].rules[1] else {
            Issue.record("expected a recording then an alerting rule")
            return
        }
        #expect(record.name == "job:requests:rate5m")
        #expect(record.labels.map(\.0) == ["team"])
        #expect(alert.holdDuration == 300_000)
        #expect(alert.keepFiringFor == 120_000)
        #expect(alert.line == 10)
    }

    @Test(arguments: [
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up ==\n", 5, "could not parse expression: 1:6: parse error"),
        (
            "groups:\n  - name: a\n    rules:\n      - alert: X\n        record: y\n        expr: up\n", 4,
            "only one of 'record' and 'alert' must be set"
        ),
        ("groups:\n  - name: a\n    rules:\n      - expr: up\n", 4, "one of 'record' or 'alert' must be set"),
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n", 4, "field 'expr' must be set in rule"),
        (
            "groups:\n  - name: a\n    rules:\n      - record: y\n        expr: up\n        for: 1m\n", 4,
            "invalid field 'for' in recording rule"
        ),
        ("groups:\n  - name: a\n    rules:\n      - record: 'a b'\n        expr: up\n", 4, "invalid recording rule name: a b"),
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up\n        for: 5x\n", 6, "not a valid duration string"),
        (
            "groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up\n        labels:\n          'a-b': c\n", 4,
            "invalid label name: a-b"
        ),
        (
            "groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up\n        annotations:\n          s: '{{ nope }}'\n", 4,
            "function \"nope\" not defined"
        ),
        ("groups:\n  - name: a\n    rulez: []\n", 3, "field rulez not found"),
        ("groups:\n  - name: a\n  - name: a\n", 3, "groupname: \"a\" is repeated in the same file"),
        ("groups:\n  - rules: []\n", 2, "Groupname must not be empty"),
        ("groups: [\n", 2, "not valid YAML"),
    ])
    func refusesABadFileWithLineAndReason(_ text: String, _ line: Int, _ reason: String) {
        do {
            _ = try RuleFileLoader.parse(text, path: "bad.yaml")
            Issue.record("accepted a bad file")
        } catch {
            #expect(error.path == "bad.yaml")
            #expect(error.line == line, "\(error)")
            #expect(error.description.contains(reason), "\(error)")
        }
    }

    @Test func anEmptyFileHasNoGroups() throws {
        #expect(try RuleFileLoader.parse("", path: "e.yaml").isEmpty)
    }
}
