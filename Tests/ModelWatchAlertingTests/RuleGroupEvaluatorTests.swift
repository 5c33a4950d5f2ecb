import ModelWatchQuery
import ModelWatchStore
import Testing

@testable import ModelWatchAlerting

@Suite struct RuleGroupEvaluatorTests {
    func source() -> InMemorySeriesSource {
        var source = InMemorySeriesSource()
        for minute in 0...10 {
            let time = Int64(minute) * 60_000
            source.append(Labels([SeriesKey.Label("__name__", "up"), SeriesKey.Label("job", "api")]), timestamp: time, value: 0)
            source.append(Labels([SeriesKey.Label("__name__", "up"), SeriesKey.Label("job", "web")]), timestamp: time, value: 1)
        }
        source.finish()
        return source
    }

    func group(_ text: String) throws -> RuleGroup {
        try #require(try RuleFileLoader.parse(text, path: "g.yaml").first)
    }

    @Test func aRecordedSeriesIsVisibleToTheNextRuleAtTheSameTime() throws {
        let group = try self.group(
            """
            groups:
              - name: g
                rules:
                  - record: job:down
                    expr: up == 0
                  - alert: JobDown
                    expr: job:down
                    labels:
                      severity: page
                    annotations:
                      summary: "{{ $labels.job }} down, value {{ $value }}"
            """)
        var evaluator = RuleGroupEvaluator(group: group, defaultInterval: 60_000)
        let evaluation = evaluator.evaluate(at: 60_000, source: self.source())
        #expect(evaluation.failures == 0)
        let names = evaluation.outputs.map { $0.labels["__name__"] }
        #expect(names == ["job:down", "ALERTS", "ALERTS_FOR_STATE"])
        let alert = try #require(evaluator.rules[1].machine?.current.first)
        #expect(alert.state == .firing)
        #expect(alert.labels.description == "{alertname=\"JobDown\", job=\"api\", severity=\"page\"}")
        #expect(alert.annotations["summary"] == "api down, value 0")
        #expect(evaluation.outputs[1].labels["alertstate"] == "firing")
        #expect(evaluation.outputs[2].value == 60)
    }

    @Test func aVanishedRecordedSeriesGetsAStaleMarker() throws {
        let group = try self.group("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up > 0\n")
        var evaluator = RuleGroupEvaluator(group: group, defaultInterval: 60_000)
        _ = evaluator.evaluate(at: 60_000, source: self.source())
        let later = evaluator.evaluate(at: 20 * 60_000, source: self.source())
        #expect(later.outputs.count == 1)
        #expect(StaleMarker.isStale(later.outputs[0].value))
    }

    @Test func aFailingRuleIsCountedAndTheOthersStillRun() throws {
        let group = try self.group(
            """
            groups:
              - name: g
                rules:
                  - record: bad
                    expr: up + on() up
                  - record: good
                    expr: up == 0
            """)
        var evaluator = RuleGroupEvaluator(group: group, defaultInterval: 60_000)
        let evaluation = evaluator.evaluate(at: 60_000, source: self.source())
        #expect(evaluation.failures == 1)
        #expect(evaluator.rules[0].health == "err")
        #expect(evaluator.rules[1].health == "ok")
        #expect(evaluation.outputs.map { $0.labels["__name__"] } == ["good"])
    }

    @Test func stateComesBackFromAlertsForState() throws {
        let group = try self.group("groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up == 0\n        for: 30m\n")
        var source = self.source()
        let saved = Labels([
            SeriesKey.Label("__name__", "ALERTS_FOR_STATE"), SeriesKey.Label("alertname", "Down"), SeriesKey.Label("job", "api"),
        ])
        // Before the restart: active since 0 s, last saved at 600 s, so 20 of 30 minutes remain.
        source.append(saved, timestamp: 600_000, value: 0)
        source.finish()
        var evaluator = RuleGroupEvaluator(group: group, defaultInterval: 60_000)
        evaluator.writesAlertSeries = false
        let first = evaluator.evaluate(at: 660_000, source: source)
        #expect(first.outputs.isEmpty)
        evaluator.restoreState(from: source, at: 660_000)
        #expect(evaluator.writesAlertSeries)
        #expect(evaluator.rules[0].machine?.current.first?.activeAt == 60_000)
    }
}
