public import Prometheus
import Synchronization

/// Why the analysis pipeline did not take an observation: the `reason` label of
/// `modelwatch_observations_dropped_total`, a bounded set.
public enum ObservationDropReason: String, Sendable, CaseIterable {
    /// The pipeline's queue (`analysis.queue_capacity`) was full.
    case queueFull = "queue_full"
}

/// Every metric ModelWatch exports, registered in one place with its help text, labels and buckets.
///
/// Recording methods take already-bounded label values (see `BoundedLabelValues`); per-request
/// series are cached by label set so the analysis pipeline does not go through the registry's
/// validation and lookup for every exchange.
public final class MetricCatalogue: Sendable {
    /// The registry the exposition is rendered from.
    public let registry: PrometheusCollectorRegistry

    /// An exchange's histograms, by label set: status and source do not label them.
    private struct ExchangeHistograms {
        let duration: ValueHistogram
        let upstream: ValueHistogram
        let overhead: ValueHistogram
        let requestSize: ValueHistogram
        let responseSize: ValueHistogram
    }

    private struct ModelVersion: Hashable, Sendable {
        let model: String
        let version: String
    }

    private struct Coded: Hashable, Sendable {
        let labels: ExchangeLabels
        let code: String
        let source: AnswerSource
    }

    private let requests: SeriesCache<Coded, Counter>
    private let exchangeSeries: SeriesCache<ExchangeLabels, ExchangeHistograms>
    private let predictions: SeriesCache<ModelVersion, Counter>
    private let batchSizes: SeriesCache<String, ValueHistogram>
    private let inFlight = Mutex<[String: InFlightGauge]>([:])
    private let upstreamUp: Gauge
    private let process: ProcessSeries
    /// Series read from elsewhere when the exposition is rendered (see `readAtExposition`).
    private let readers = Mutex<[@Sendable () -> Void]>([])

    public init(version: String) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        registry.makeGauge(descriptor: Self.describe("build_info", Help.buildInfo), labels: [("version", version)]).set(1.0)
        self.upstreamUp = registry.makeGauge(descriptor: Self.describe("upstream_up", Help.upstreamUp))
        // Present from the start, so a rate over it never begins at a missing series.
        _ = registry.makeCounter(
            descriptor: Self.describe("observations_dropped_total", Help.dropped),
            labels: [("reason", ObservationDropReason.queueFull.rawValue)])
        self.process = ProcessSeries(registry: registry)
        self.requests = SeriesCache { key in
            registry.makeCounter(
                descriptor: Self.describe("requests_total", Help.requests),
                labels: key.labels.pairs + [("code", key.code), ("source", key.source.rawValue)])
        }
        self.exchangeSeries = SeriesCache { labels in
            let pairs = labels.pairs
            func histogram(_ name: String, _ help: String, _ buckets: [Double]) -> ValueHistogram {
                registry.makeValueHistogram(descriptor: Self.describe(name, help), labels: pairs, buckets: buckets)
            }
            return ExchangeHistograms(
                duration: histogram("request_duration_seconds", Help.duration, MetricBuckets.latencySeconds),
                upstream: histogram("upstream_duration_seconds", Help.upstream, MetricBuckets.latencySeconds),
                overhead: histogram("overhead_seconds", Help.overhead, MetricBuckets.overheadSeconds),
                requestSize: histogram("request_size_bytes", Help.requestSize, MetricBuckets.sizeBytes),
                responseSize: histogram("response_size_bytes", Help.responseSize, MetricBuckets.sizeBytes)
            )
        }
        self.predictions = SeriesCache { key in
            registry.makeCounter(
                descriptor: Self.describe("predictions_total", Help.predictions), labels: [("model", key.model), ("version", key.version)])
        }
        self.batchSizes = SeriesCache { model in
            registry.makeValueHistogram(
                descriptor: Self.describe("batch_size", Help.batchSize), labels: [("model", model)], buckets: MetricBuckets.batchSize)
        }
    }

    static func describe(_ name: String, _ help: String, namespace: String? = "modelwatch") -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: namespace, metricName: name, unitName: "", helpText: help)
    }

    // MARK: Hot path

    /// The in-flight gauge of a model, for a caller that keeps it: raising and lowering a kept
    /// gauge takes no lock, where finding it takes this catalogue's.
    public func inFlightGauge(model: String) -> InFlightGauge {
        self.inFlight.withLock { gauges in
            if let gauge = gauges[model] { return gauge }
            let gauge = InFlightGauge(
                self.registry.makeGauge(descriptor: Self.describe("requests_in_flight", Help.inFlight), labels: [("model", model)]))
            gauges[model] = gauge
            return gauge
        }
    }

    // MARK: Analysis pipeline

    /// Counts one exchange and records its timings and sizes.
    public func record(_ measurement: ExchangeMeasurement) {
        self.exchangeRecorder(labels: measurement.labels, code: measurement.code, source: measurement.source).record(measurement)
    }

    /// The series of exchanges with these labels, status code and source, made on first use.
    public func exchangeRecorder(labels: ExchangeLabels, code: String, source: AnswerSource) -> ExchangeRecorder {
        let histograms = self.exchangeSeries[labels]
        return ExchangeRecorder(
            duration: histograms.duration,
            upstream: histograms.upstream,
            overhead: histograms.overhead,
            requestSize: histograms.requestSize,
            responseSize: histograms.responseSize,
            requests: self.requests[Coded(labels: labels, code: code, source: source)]
        )
    }

    /// Counts answered rows and records the batch size.
    public func recordPredictions(_ rows: Int, model: String, version: String) {
        self.predictionRecorder(model: model, version: version).record(rows: rows)
    }

    /// The prediction series of a model version, made when first asked for: ask only with rows
    /// to count, so a version that never answers any shows no `predictions_total` series.
    public func predictionRecorder(model: String, version: String) -> PredictionRecorder {
        PredictionRecorder(predictions: self.predictions[ModelVersion(model: model, version: version)], batchSize: self.batchSizes[model])
    }

    public func recordUpstreamError(kind: String, model: String) {
        self.registry.makeCounter(
            descriptor: Self.describe("upstream_errors_total", Help.upstreamErrors), labels: [("model", model), ("kind", kind)]
        )
        .increment()
    }

    public func recordTokens(prompt: Int?, completion: Int?, model: String) {
        for (kind, count) in [("prompt", prompt), ("completion", completion)] {
            guard let count, count > 0 else { continue }
            self.registry.makeCounter(
                descriptor: Self.describe("llm_tokens_total", Help.tokens), labels: [("model", model), ("kind", kind)]
            )
            .increment(by: Int64(count))
        }
    }

    public func recordTokenTiming(timeToFirstToken: Duration, interTokenGaps: [Duration], model: String) {
        self.registry.makeValueHistogram(
            descriptor: Self.describe("llm_time_to_first_token_seconds", Help.timeToFirstToken), labels: [("model", model)],
            buckets: MetricBuckets.timeToFirstTokenSeconds
        ).record(timeToFirstToken.seconds)
        guard !interTokenGaps.isEmpty else { return }
        let gaps = self.registry.makeValueHistogram(
            descriptor: Self.describe("llm_inter_token_seconds", Help.interToken), labels: [("model", model)],
            buckets: MetricBuckets.interTokenSeconds
        )
        for gap in interTokenGaps { gaps.record(gap.seconds) }
    }

    public func recordDecodeFailure(reason: String, protocol: String, model: String) {
        self.registry.makeCounter(
            descriptor: Self.describe("payload_decode_failures_total", Help.decodeFailures),
            labels: [("model", model), ("protocol", `protocol`), ("reason", reason)]
        ).increment()
    }

    /// Counts an observation the analysis pipeline could not take.
    public func recordDroppedObservation(reason: ObservationDropReason) {
        self.registry.makeCounter(
            descriptor: Self.describe("observations_dropped_total", Help.dropped), labels: [("reason", reason.rawValue)]
        )
        .increment()
    }

    public func setUpstreamUp(_ up: Bool) {
        self.upstreamUp.set(up ? 1.0 : 0.0)
    }

    /// The store's own series, registered when recording is on; a sidecar without a store shows none.
    public func storeMetrics() -> StoreMetrics {
        StoreMetrics(
            writeSeconds: self.registry.makeValueHistogram(
                descriptor: Self.describe("store_write_seconds", Help.storeWrite), buckets: MetricBuckets.storeWriteSeconds),
            rowsWritten: self.registry.makeCounter(descriptor: Self.describe("store_rows_written_total", Help.storeRows)),
            databaseBytes: self.registry.makeGauge(descriptor: Self.describe("store_database_bytes", Help.storeBytes)),
            appendErrors: self.registry.makeCounter(
                descriptor: Self.describe("store_errors_total", Help.storeErrors), labels: [("op", "append")]),
            maintenanceErrors: self.registry.makeCounter(
                descriptor: Self.describe("store_errors_total", Help.storeErrors), labels: [("op", "maintain")]),
            driftErrors: self.registry.makeCounter(
                descriptor: Self.describe("store_errors_total", Help.storeErrors), labels: [("op", "drift")])
        )
    }

    // MARK: Exposition

    /// Every series as the exposition shows it now, for the store's self-scrape.
    public func samples() -> [ExposedSample] {
        ExposedSample.parse(self.exposition())
    }

    /// The text exposition format (version 0.0.4), with the process metrics read just now.
    public func exposition() -> [UInt8] {
        self.process.refresh()
        for read in self.readers.withLock({ $0 }) { read() }
        return self.registry.emitToBuffer()
    }

    /// Runs `read` each time the exposition is rendered (for `/metrics` and the store's
    /// self-scrape), to set series from state kept elsewhere: such series cost nothing per request.
    func readAtExposition(_ read: @escaping @Sendable () -> Void) {
        self.readers.withLock { $0.append(read) }
    }

    /// Help text, one line per metric, written for the person reading `/metrics`.
    enum Help {
        static let buildInfo = "ModelWatch build information; always 1."
        static let upstreamUp = "1 when the backend's readiness probe last succeeded, else 0."
        static let inFlight = "Requests received and not yet answered, per model named in the request path (or the default model)."
        static let requests =
            "Requests answered, by model, version, protocol, endpoint, the status code the client received and who gave it (source: backend or sidecar)."
        static let duration = "Client-observed request duration in seconds, from request head to last response byte."
        static let upstream = "Backend duration in seconds as measured by libcurl, for exchanges that completed."
        static let overhead = "The sidecar's own share of each completed request in seconds (client-observed minus backend)."
        static let requestSize = "Request body size in bytes."
        static let responseSize = "Response body size in bytes."
        static let predictions = "Rows (instances, prompts times choices, embedding inputs) answered successfully."
        static let batchSize = "Rows per successful prediction request."
        static let upstreamErrors = "Exchanges the backend failed, by kind (connect, timeout, reset, tls, protocol)."
        static let tokens = "LLM tokens reported by the backend, by kind (prompt, completion)."
        static let timeToFirstToken = "Seconds from request arrival to the first streamed event carrying generated content."
        static let interToken = "Seconds between consecutive streamed events carrying generated content."
        static let decodeFailures = "Request or response bodies that could not be decoded, by reason; they were proxied unchanged."
        static let dropped = "Observations not analysed, by reason (queue_full: the analysis queue was full)."
        static let queueLength = "Finished exchanges waiting for analysis."
        static let connectionsOpen = "Client connections open on the data port."
        static let accepted = "Client connections the data port accepted."
        static let refused =
            "Client connections turned away, by reason (limit: server.max_connections were open; descriptors: accept failed for want of file descriptors, the connection waited)."
        static let timedOut =
            "Client connections closed by a clock, by phase (head: 408, the request head was late; idle: between requests; body: the rest of a body after an early answer)."
        static let queueCapacity = "Exchanges the analysis queue holds at most (analysis.queue_capacity); beyond, they are dropped."
        static let heldBytes = "Body bytes held for analysis now, from capture until analysed."
        static let memoryLimit =
            "Body bytes the analysis may hold at once (analysis.memory_limit); bodies beyond are proxied, not analysed."
        static let storeWrite = "Seconds each self-scrape took to write its snapshot to the SQLite store."
        static let storeRows = "Rows written to the SQLite store (samples and newly seen series)."
        static let storeBytes = "Bytes the SQLite store takes on disk, database and write-ahead log together."
        static let featureDrift =
            "Drift of a feature's sliding window against its baseline, by statistic; NaN while the window has too little data."
        static let outputDrift =
            "Drift of a model output's sliding window against its baseline, by statistic; NaN while the window has too little data."
        static let windowSamples = "Values present in the drift window of a feature or output."
        static let missingRatio = "Share of missing values (absent, null, NaN) in the drift window of a feature or output."
        static let driftShare = "Share of a model's features whose verdict is drift, among those with enough data; NaN when none has."
        static let schemaViolations =
            "Values that did not fit the baseline, by feature and kind (missing, wrong_type, unexpected_shape, out_of_range)."
        static let storeErrors =
            "Store operations that failed, by op (append: a snapshot was not recorded; maintain: compaction or retention; drift: a minute of drift histograms was not recorded)."
    }
}

/// One model's `requests_in_flight` gauge, raised when a request head arrives and lowered when
/// its exchange ends, whichever way.
public struct InFlightGauge: Sendable {
    private let gauge: Gauge

    init(_ gauge: Gauge) {
        self.gauge = gauge
    }

    public func raise() {
        self.gauge.increment(by: 1.0)
    }

    public func lower() {
        self.gauge.decrement(by: 1.0)
    }
}

/// The conventional `process_*` series, set from `/proc` at each scrape.
private final class ProcessSeries: Sendable {
    /// A counter only goes up: each scrape adds what was spent since the last one.
    let cpu: CounterMirror
    let resident: Gauge
    let virtual: Gauge
    let start: Gauge
    let openFDs: Gauge
    let maxFDs: Gauge

    init(registry: PrometheusCollectorRegistry) {
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: MetricCatalogue.describe(name, help, namespace: nil))
        }
        self.cpu = CounterMirror(
            registry.makeCounter(
                descriptor: MetricCatalogue.describe(
                    "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", namespace: nil)))
        self.resident = gauge("process_resident_memory_bytes", "Resident memory size in bytes.")
        self.virtual = gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.")
        self.start = gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
        self.openFDs = gauge("process_open_fds", "Number of open file descriptors.")
        self.maxFDs = gauge("process_max_fds", "Maximum number of open file descriptors.")
    }

    func refresh() {
        guard let reading = ProcessMetrics.read() else { return }
        self.cpu.advance(to: reading.cpuSeconds)
        self.resident.set(reading.residentBytes)
        self.virtual.set(reading.virtualBytes)
        self.start.set(reading.startTimeSeconds)
        self.openFDs.set(reading.openFileDescriptors)
        self.maxFDs.set(reading.maxFileDescriptors)
    }
}
