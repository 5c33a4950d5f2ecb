import Logging
import ModelWatchAlerting
import ModelWatchMetrics
import ModelWatchQuery
import ModelWatchStore
import ServiceLifecycle

/// Evaluates the configured rule groups, each on its own interval: reads through a read plane of
/// its own (so query API load never delays an alert), writes recorded series, `ALERTS` and
/// `ALERTS_FOR_STATE` through the recorder's writer thread, and restores `for` timers from
/// `ALERTS_FOR_STATE` after the first evaluation, as Prometheus does; hands the alerts due to
/// the notifier.
final class RuleEvaluationService: Service {
    private let configuration: RulesConfiguration
    private let externalLabels: [String: String]
    private let externalURL: String
    private let resendDelay: Int64
    private let notifier: AlertNotifier?
    private let readPlane: ReadPlane
    private let recorder: StoreRecorder
    private let board: RuleStatusBoard
    private let catalogue: MetricCatalogue
    private let options: QueryEngine.Options
    private let logger: Logger

    /// - Parameters:
    ///   - externalURL: the sidecar's external URL, resolved (templates and generator URLs).
    ///   - notifier: where alerts go; `nil` without Alertmanagers.
    init(
        configuration: RulesConfiguration, alerting: AlertingConfiguration, externalURL: String, notifier: AlertNotifier?,
        storagePath: String, recorder: StoreRecorder, board: RuleStatusBoard, catalogue: MetricCatalogue, logger: Logger
    ) {
        self.configuration = configuration
        self.externalLabels = alerting.externalLabels
        self.externalURL = externalURL
        self.resendDelay = alerting.resendDelay
        self.notifier = notifier
        // One reader: groups take turns; the API's readers are apart.
        self.readPlane = ReadPlane(path: storagePath, readers: 1, maxWaiting: max(configuration.groups.count, 1))
        self.recorder = recorder
        self.board = board
        self.catalogue = catalogue
        var options = QueryEngine.Options()
        options.defaultSubqueryStep = configuration.evaluationInterval
        self.options = options
        self.logger = logger
    }

    func run() async throws {
        let groups = self.configuration.groups
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { tasks in
                for (index, group) in groups.enumerated() {
                    tasks.addTask { await self.evaluate(group, index: index) }
                }
            }
        }
    }

    private func evaluate(_ group: RuleGroup, index: Int) async {
        var evaluator = RuleGroupEvaluator(
            group: group, defaultInterval: self.configuration.evaluationInterval, externalLabels: self.externalLabels,
            externalURL: self.externalURL)
        if self.notifier != nil { evaluator.resendDelay = self.resendDelay }
        // Prometheus writes no ALERTS until the saved state is back.
        evaluator.writesAlertSeries = false
        let metrics = self.catalogue.ruleGroupMetrics(group: group.name)
        let options = self.options
        var restored = false
        var failing = false
        let interval = Duration.milliseconds(evaluator.interval)
        let clock = ContinuousClock()
        var deadline = clock.now
        while !Task.isCancelled {
            let now = WallClock.milliseconds()
            let current = evaluator
            let restore = !restored
            do {
                let (next, evaluation) = try await self.readPlane.read { store in
                    var copy = current
                    let source = StoreSeriesSource(store: store)
                    let evaluation = copy.evaluate(at: now, source: source, options: options)
                    if restore { copy.restoreState(from: source, at: now) }
                    return (copy, evaluation)
                }
                evaluator = next
                restored = true
                self.board.update(index, evaluator)
                self.notifier?.send(evaluation.notifications)
                // SQLite keeps no NaN payloads, so stale markers are not written; the store's own
                // lookback ends a vanished series.
                let rows = evaluation.outputs.filter { !StaleMarker.isStale($0.value) }.map { output in
                    (
                        key: SeriesKey(
                            name: output.labels["__name__"],
                            labels: output.labels.droppingName.pairs.map { SeriesKey.Label($0.name, $0.value) }),
                        value: output.value
                    )
                }
                if !rows.isEmpty {
                    _ = try await self.recorder.withStore { store in try store.append(rows, at: now) }
                }
                metrics.recordEvaluation(seconds: evaluator.evaluationSeconds, failures: evaluation.failures, at: Double(now) / 1000)
                if evaluation.failures > 0, !failing {
                    let errors = evaluator.rules.compactMap { state in state.lastError.map { "\(state.rule.name): \($0)" } }
                    self.logger.warning(
                        "rules failed", metadata: ["rules.group": "\(group.name)", "rules.errors": "\(errors.joined(separator: "; "))"])
                }
                failing = evaluation.failures > 0
            } catch is CancellationError {
                return
            } catch {
                metrics.recordFailedEvaluation()
                if !failing {
                    self.logger.warning("rule group evaluation failed", metadata: ["rules.group": "\(group.name)", "error": "\(error)"])
                }
                failing = true
            }
            deadline = max(deadline + interval, clock.now)
            do {
                try await Task.sleep(until: deadline, clock: clock)
            } catch {
                return
            }
        }
    }
}
