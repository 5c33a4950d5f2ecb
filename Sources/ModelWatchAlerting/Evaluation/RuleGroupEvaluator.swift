public import ModelWatchQuery
import ModelWatchStore

/// The rules of one group and their state between evaluations: alert states, the series each
/// rule wrote last time (to mark vanished ones stale), health and timings.
///
/// Evaluates the rules in order at one timestamp, as Prometheus's `Group.Eval` does: each rule's
/// output (recorded series, `ALERTS`, `ALERTS_FOR_STATE`) is visible to the rules after it.
public struct RuleGroupEvaluator: Sendable {
    /// The state of one rule.
    public struct RuleState: Sendable {
        /// The rule.
        public let rule: Rule
        /// For an alerting rule: its alerts.
        public internal(set) var machine: AlertStateMachine?
        /// The last evaluation's error, as the API shows it.
        public internal(set) var lastError: String?
        /// Milliseconds: when it was last evaluated.
        public internal(set) var lastEvaluation: Int64?
        /// Seconds the last evaluation took.
        public internal(set) var evaluationSeconds: Double = 0
        var previousSeries: Set<Labels> = []

        /// `ok`, `err`, or `unknown` before the first evaluation.
        public var health: String {
            if self.lastEvaluation == nil { return "unknown" }
            return self.lastError == nil ? "ok" : "err"
        }
    }

    /// A sample a rule produced, to be written to the store.
    public struct Output: Sendable {
        /// The series.
        public var labels: Labels
        /// Milliseconds.
        public var timestamp: Int64
        /// The value (a stale marker for a series that vanished).
        public var value: Double
    }

    /// What one evaluation of the group did.
    public struct Evaluation: Sendable {
        /// Every sample to write, in rule order.
        public var outputs: [Output] = []
        /// How many rules failed.
        public var failures = 0
        /// Alert transitions, per alerting rule name.
        public var transitions: [(rule: String, transition: AlertStateMachine.Transition)] = []
        /// Alerts due to go to Alertmanager, when the group has a `resendDelay`.
        public var notifications: [AlertNotification] = []
    }

    /// The group.
    public let group: RuleGroup
    /// The interval the group runs on, milliseconds.
    public let interval: Int64
    /// Labels templates see as `$externalLabels`.
    public var externalLabels: [String: String]
    /// The URL templates see as `$externalURL`.
    public var externalURL: String
    /// Whether alerting rules write `ALERTS` and `ALERTS_FOR_STATE` (Prometheus holds them back until state is restored).
    public var writesAlertSeries = true
    /// How often an unchanged firing or resolved alert goes to Alertmanager again, milliseconds;
    /// `nil` computes no notifications (rule unit tests, a sidecar without Alertmanagers).
    public var resendDelay: Int64?
    /// The rules' state, in group order.
    public private(set) var rules: [RuleState]
    /// Milliseconds: the last evaluation's time.
    public private(set) var lastEvaluation: Int64?
    /// Seconds the last evaluation took.
    public private(set) var evaluationSeconds: Double = 0

    /// A group ready for its first evaluation.
    /// - Parameters:
    ///   - defaultInterval: milliseconds, for a group without its own `interval`.
    public init(group: RuleGroup, defaultInterval: Int64, externalLabels: [String: String] = [:], externalURL: String = "") {
        self.group = group
        self.interval = group.interval ?? defaultInterval
        self.externalLabels = externalLabels
        self.externalURL = externalURL
        self.rules = group.rules.map { rule in
            switch rule {
            case .alerting(let alerting):
                RuleState(
                    rule: rule,
                    machine: AlertStateMachine(
                        holdDuration: alerting.holdDuration, keepFiringFor: alerting.keepFiringFor, limit: group.limit))
            case .recording: RuleState(rule: rule, machine: nil)
            }
        }
    }

    /// Evaluates every rule at `time` over `source`.
    /// - Returns: the samples to write and the failures.
    public mutating func evaluate(at time: Int64, source: any SeriesSource, options: QueryEngine.Options = QueryEngine.Options())
        -> Evaluation
    {
        let clock = ContinuousClock()
        let groupStart = clock.now
        var evaluation = Evaluation()
        var overlay = InMemorySeriesSource()
        for index in self.rules.indices {
            let ruleStart = clock.now
            let engine = QueryEngine(source: OverlaySeriesSource(base: source, overlay: overlay), options: options)
            var produced: [(Labels, Double)] = []
            do throws(RuleEvaluationError) {
                produced = try self.evaluateRule(at: index, time: time, engine: engine, evaluation: &evaluation)
                self.rules[index].lastError = nil
            } catch {
                self.rules[index].lastError = error.description
                evaluation.failures += 1
            }
            var seen: Set<Labels> = []
            for (labels, value) in produced {
                seen.insert(labels)
                evaluation.outputs.append(Output(labels: labels, timestamp: time, value: value))
                overlay.append(labels, timestamp: time, value: value)
            }
            for labels in self.rules[index].previousSeries where !seen.contains(labels) {
                evaluation.outputs.append(Output(labels: labels, timestamp: time, value: StaleMarker.value))
                overlay.append(labels, timestamp: time, value: StaleMarker.value)
            }
            overlay.finish()
            self.rules[index].previousSeries = seen
            self.rules[index].lastEvaluation = time
            self.rules[index].evaluationSeconds = Self.seconds(clock.now - ruleStart)
        }
        self.lastEvaluation = time
        self.evaluationSeconds = Self.seconds(clock.now - groupStart)
        return evaluation
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private mutating func evaluateRule(at index: Int, time: Int64, engine: QueryEngine, evaluation: inout Evaluation)
        throws(RuleEvaluationError) -> [(Labels, Double)]
    {
        let state = self.rules[index]
        let vector: [VectorSample]
        do {
            switch try engine.instantQuery(Self.expression(of: state.rule), at: time) {
            case .vector(let samples): vector = samples
            case .scalar(_, let value): vector = [VectorSample(labels: .empty, timestamp: time, value: value)]
            default: throw RuleEvaluationError("rule result is not a vector or scalar")
            }
        } catch let error as QueryError {
            throw RuleEvaluationError(error.description)
        } catch let error as RuleEvaluationError {
            throw error
        } catch {
            throw RuleEvaluationError("\(error)")
        }
        switch state.rule {
        case .recording(let rule):
            var output: [(Labels, Double)] = []
            var seen: Set<Labels> = []
            for sample in vector {
                var labels = sample.labels.setting("__name__", rule.name)
                for (name, value) in rule.labels { labels = labels.setting(name, value) }
                guard seen.insert(labels).inserted else {
                    throw RuleEvaluationError("vector contains metrics with the same labelset after applying rule labels")
                }
                output.append((labels, sample.value))
            }
            if self.group.limit > 0, output.count > self.group.limit {
                throw RuleEvaluationError("exceeded limit \(self.group.limit) with \(output.count) series")
            }
            return output
        case .alerting(let rule):
            var results: [AlertStateMachine.Result] = []
            var seen: Set<Labels> = []
            for sample in vector {
                var templateLabels: [String: String] = [:]
                for pair in sample.labels.pairs { templateLabels[pair.name] = pair.value }
                func expand(_ text: String) -> String {
                    RuleTemplate.expand(
                        text, rule: rule.name, labels: templateLabels, value: sample.value, externalLabels: self.externalLabels,
                        externalURL: self.externalURL)
                }
                var labels = sample.labels.droppingName
                for (name, value) in rule.labels { labels = labels.setting(name, expand(value)) }
                labels = labels.setting("alertname", rule.name)
                var annotations: [String: String] = [:]
                for (name, value) in rule.annotations { annotations[name] = expand(value) }
                guard seen.insert(labels).inserted else {
                    throw RuleEvaluationError("vector contains metrics with the same labelset after applying alert labels")
                }
                results.append(AlertStateMachine.Result(labels: labels, value: sample.value, annotations: annotations))
            }
            guard var machine = state.machine else { return [] }
            let transitions: [AlertStateMachine.Transition]
            do {
                transitions = try machine.evaluate(results, at: time)
            } catch {
                self.rules[index].machine = machine
                throw RuleEvaluationError(error.description)
            }
            if let resendDelay = self.resendDelay {
                evaluation.notifications += machine.alertsToSend(at: time, resendDelay: resendDelay, interval: self.interval).map {
                    AlertNotification(
                        alert: $0, expression: rule.expressionText, externalLabels: self.externalLabels, externalURL: self.externalURL)
                }
            }
            self.rules[index].machine = machine
            evaluation.transitions += transitions.map { (rule.name, $0) }
            guard self.writesAlertSeries else { return [] }
            var output: [(Labels, Double)] = []
            for alert in machine.current {
                output.append((alert.labels.setting("__name__", "ALERTS").setting("alertstate", alert.state.rawValue), 1))
                output.append((alert.labels.setting("__name__", "ALERTS_FOR_STATE"), Double(alert.activeAt / 1000)))
            }
            return output
        }
    }

    private static func expression(of rule: Rule) -> PromQLExpression {
        switch rule {
        case .alerting(let alerting): alerting.expression
        case .recording(let recording): recording.expression
        }
    }

    /// Brings back the `for` timers of the alerts present now from `ALERTS_FOR_STATE` in `source`,
    /// as Prometheus does after the first evaluation following a start; then turns on `ALERTS`.
    /// - Parameters:
    ///   - outageTolerance: how far back a saved state counts, milliseconds (Prometheus: 1 hour).
    ///   - gracePeriod: rules with a shorter `for` are not restored, and no alert fires sooner than this after a restart (10 minutes).
    public mutating func restoreState(
        from source: any SeriesSource, at time: Int64, outageTolerance: Int64 = 3_600_000, gracePeriod: Int64 = 600_000
    ) {
        defer { self.writesAlertSeries = true }
        for index in self.rules.indices {
            guard case .alerting(let rule) = self.rules[index].rule, var machine = self.rules[index].machine,
                rule.holdDuration >= gracePeriod
            else { continue }
            guard let name = try? LabelMatcher("__name__", .equal, "ALERTS_FOR_STATE"),
                let alertname = try? LabelMatcher("alertname", .equal, rule.name),
                let series = try? source.series(matching: [name, alertname], from: time - outageTolerance, through: time)
            else { continue }
            for saved in series {
                guard let last = saved.points.last(where: { !StaleMarker.isStale($0.value) }) else { continue }
                let labels = saved.labels.droppingName
                machine.restore(
                    labels, savedActiveAt: Int64(last.value) * 1000, savedAt: last.timestamp, at: time, gracePeriod: gracePeriod)
            }
            self.rules[index].machine = machine
        }
    }
}

/// Why a rule's evaluation failed, as the rules API shows it.
public struct RuleEvaluationError: Error, Sendable, CustomStringConvertible {
    /// The message.
    public let description: String

    init(_ description: String) { self.description = description }
}
