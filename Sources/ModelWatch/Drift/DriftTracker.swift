import Logging
import ModelWatchDrift
import ModelWatchMetrics
import ModelWatchProtocols
import ModelWatchStore
import ServiceLifecycle
import Synchronization

/// The sidecar's drift monitoring: one `ModelDriftMonitor` per model, fed by the analysis
/// pipeline, sealed once a minute into the store, and judged over the sliding window into the
/// drift gauges.
///
/// Observing takes the lock for a few increments per value; the minute tick takes it to seal
/// and sum, and does its I/O (gauges, the store) after releasing it.
final class DriftTracker: Service {
    private let configuration: DriftConfiguration
    private let monitors: Mutex<[String: ModelDriftMonitor]>
    private let metrics: DriftMetrics
    private let recorder: StoreRecorder?
    private let logger: Logger

    /// Creates the monitors of the configured models, keeps their baselines in the store, and
    /// puts back the minutes of the current window a previous run recorded.
    static func start(configuration: DriftConfiguration, catalogue: MetricCatalogue, recorder: StoreRecorder?, logger: Logger) async
        -> DriftTracker
    {
        var monitors: [String: ModelDriftMonitor] = [:]
        for (model, entry) in configuration.models {
            monitors[model] = ModelDriftMonitor(
                model: model, baseline: entry.baseline, mapping: entry.mapping, settings: configuration.settings)
        }
        let tracker = DriftTracker(
            configuration: configuration, monitors: monitors, metrics: catalogue.driftMetrics(), recorder: recorder, logger: logger)
        await tracker.restore()
        return tracker
    }

    private init(
        configuration: DriftConfiguration, monitors: [String: ModelDriftMonitor], metrics: DriftMetrics, recorder: StoreRecorder?,
        logger: Logger
    ) {
        self.configuration = configuration
        self.monitors = Mutex(monitors)
        self.metrics = metrics
        self.recorder = recorder
        self.logger = logger
    }

    private func restore() async {
        guard let recorder = self.recorder else { return }
        let now = WallClock.milliseconds()
        let minute = Self.minute(of: now)
        let windowStart = minute - Int64(self.configuration.settings.windowMinutes) * 60_000
        let baselines = self.configuration.models.map { (model: $0.key, baseline: $0.value.baseline) }
        let settings = self.configuration.settings.encoded()
        do {
            let stored = try await recorder.withStore { store in
                // What the gauges judge with, so `modelwatch drift` on the file judges the same way.
                try store.saveSetting(name: "drift", document: settings, at: now)
                var minutes: [String: [DriftMinuteRecord]] = [:]
                for (model, baseline) in baselines {
                    try store.saveBaseline(id: baseline.identifier, model: model, document: Array(baseline.encoded()), at: now)
                    minutes[model] = try store.driftMinutes(model: model, from: windowStart, before: minute + 60_000)
                }
                return minutes
            }
            let restored = self.monitors.withLock { monitors in
                var restored = 0
                for (model, records) in stored {
                    guard let identifier = monitors[model]?.baselineIdentifier else { continue }
                    let minutes = records.filter { $0.baseline == identifier }.compactMap(Self.sealedMinute)
                    restored += monitors[model]?.restore(minutes) ?? 0
                }
                return restored
            }
            if restored > 0 {
                self.logger.info("drift window restored from the store", metadata: ["drift.minutes": "\(restored)"])
            }
        } catch {
            self.logger.warning("drift window not restored from the store", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Analysis pipeline

    /// Counts the values of one answered prediction. Failed exchanges tell nothing about the
    /// model's inputs as served, so only 2xx answers count.
    func observe(model: String, decoded: DecodedExchange, status: Int?) {
        guard let status, (200..<300).contains(status), decoded.request != nil || decoded.response != nil else { return }
        var response = decoded.response
        if let tokens = decoded.tokens {
            // Token counts are outputs like any other: their distribution drifts when prompts do.
            var payload = response ?? DecodedPayload(tensors: [], batchSize: 1)
            for (name, count) in [("prompt_tokens", tokens.prompt), ("completion_tokens", tokens.completion)] {
                if let count {
                    payload.tensors.append(Tensor(name: name, datatype: "INT64", shape: [1], values: .numbers([Double(count)])))
                }
            }
            response = payload
        }
        let minute = Self.minute(of: WallClock.milliseconds())
        let settings = self.configuration.settings
        let violations = self.monitors.withLock { monitors -> [SchemaViolation: Int] in
            // One hash of the name per exchange: the monitor is found once and changed where it lies.
            guard let index = monitors.index(forKey: model) else {
                // Models without a baseline are sampled for `baseline capture`, within the label bound.
                guard model != "other" else { return [:] }
                var monitor = ModelDriftMonitor(model: model, baseline: nil, settings: settings)
                let violations = monitor.observe(request: decoded.request, response: response, minute: minute)
                monitors[model] = monitor
                return violations
            }
            return monitors.values[index].observe(request: decoded.request, response: response, minute: minute)
        }
        for (violation, count) in violations {
            self.metrics.recordSchemaViolations(model: model, feature: violation.feature, kind: violation.kind.rawValue, count: count)
        }
    }

    // MARK: Service

    /// Seals and judges once a minute, just after the minute turns; on shutdown seals the live
    /// minute so a clean stop loses nothing.
    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let now = WallClock.milliseconds()
            let wait = Self.minute(of: now) + 60_000 + 500 - now
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(wait)) }
            } catch {
                break
            }
            await self.tick(end: Self.minute(of: WallClock.milliseconds()))
        }
        await self.tick(end: Int64.max)
    }

    /// Seals every minute before `end`, stores them and, unless shutting down, publishes the
    /// window ending at `end`.
    func tick(end: Int64) async {
        let (sealed, reports) = self.monitors.withLock { monitors in
            var sealed: [DriftMinuteRecord] = []
            var reports: [ModelDriftReport] = []
            for (model, _) in monitors {
                guard let minutes = monitors[model]?.seal(before: end), let monitor = monitors[model] else { continue }
                let identifier = monitor.baselineIdentifier ?? ""
                for minute in minutes {
                    sealed.append(
                        DriftMinuteRecord(
                            model: model, minute: minute.minute, role: minute.role.rawValue, name: minute.name, baseline: identifier,
                            data: minute.data.encoded()))
                }
                if end != Int64.max, monitor.baseline != nil { reports.append(monitor.report(end: end)) }
            }
            return (sealed, reports)
        }
        for report in reports { self.publish(report) }
        await self.recorder?.recordDrift(sealed)
    }

    private func publish(_ report: ModelDriftReport) {
        let baseline = self.configuration.models[report.model]?.baseline
        for entry in report.entries {
            guard let kind = baseline?.reference(named: entry.name)?.kind else { continue }
            for statistic in DriftStatistic.applicable(to: kind) {
                self.metrics.setStatistic(
                    model: report.model, role: entry.role.rawValue, name: entry.name, statistic: statistic.rawValue,
                    value: entry.values[statistic] ?? .nan)
            }
            self.metrics.setWindow(model: report.model, name: entry.name, samples: entry.samples, missingRatio: entry.missingRatio)
        }
        self.metrics.setDriftShare(model: report.model, share: report.driftShare ?? .nan)
    }

    static func minute(of milliseconds: Int64) -> Int64 {
        milliseconds - ((milliseconds % 60_000) + 60_000) % 60_000
    }

    static func sealedMinute(_ record: DriftMinuteRecord) -> ModelDriftMonitor.SealedMinute? {
        guard let role = FeatureRole(rawValue: record.role), let data = FeatureMinute(decoding: record.data) else { return nil }
        return ModelDriftMonitor.SealedMinute(role: role, name: record.name, minute: record.minute, data: data)
    }
}
