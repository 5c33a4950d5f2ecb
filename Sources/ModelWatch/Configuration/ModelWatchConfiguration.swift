public import ModelWatchDrift
public import ModelWatchProxy
public import ModelWatchStore

/// Everything `modelwatch serve` needs, as read from `modelwatch.yaml` and the command line.
public struct ModelWatchConfiguration: Sendable {
    public var server: ProxyServerConfiguration
    public var admin: AdminConfiguration
    public var upstream: UpstreamConfiguration
    public var readiness: ReadinessConfiguration
    public var analysis: AnalysisConfiguration
    public var models: ModelsConfiguration
    public var storage: StorageConfiguration
    public var drift: DriftConfiguration
    public var query: QueryConfiguration
    /// Alert and recording rules evaluated on the store.
    public var rules: RulesConfiguration
    /// Models whose answers are compared with a reference model or a second backend.
    public var shadow: ShadowConfiguration
    /// Alertmanagers, external labels and the external URL.
    public var alerting: AlertingConfiguration

    public init(
        server: ProxyServerConfiguration = ProxyServerConfiguration(),
        admin: AdminConfiguration = AdminConfiguration(),
        upstream: UpstreamConfiguration,
        readiness: ReadinessConfiguration = ReadinessConfiguration(),
        analysis: AnalysisConfiguration = AnalysisConfiguration(),
        models: ModelsConfiguration = ModelsConfiguration(),
        storage: StorageConfiguration = StorageConfiguration(),
        drift: DriftConfiguration = DriftConfiguration(),
        query: QueryConfiguration = QueryConfiguration(),
        rules: RulesConfiguration = RulesConfiguration(),
        shadow: ShadowConfiguration = ShadowConfiguration(),
        alerting: AlertingConfiguration = AlertingConfiguration()
    ) {
        self.server = server
        self.admin = admin
        self.upstream = upstream
        self.readiness = readiness
        self.analysis = analysis
        self.models = models
        self.storage = storage
        self.drift = drift
        self.query = query
        self.rules = rules
        self.shadow = shadow
        self.alerting = alerting
    }

    /// One line naming where traffic comes in and goes out, and how long it may wait for the backend.
    public var summary: String {
        "data port \(self.server.listen) -> upstream \(self.upstream.url) (\(self.upstream.limitsSummary)); admin port \(self.admin.listen)"
    }
}

/// The admin port: health, readiness and metrics; loopback unless said otherwise.
public struct AdminConfiguration: Sendable {
    public var listen: ListenAddress

    public init(listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 9464)) {
        self.listen = listen
    }
}

/// How `/readyz` learns whether the backend is ready.
public struct ReadinessConfiguration: Sendable {
    public var target: ReadinessProbe.Target
    public var interval: Duration
    public var timeout: Duration

    public init(target: ReadinessProbe.Target = .automatic, interval: Duration = .seconds(5), timeout: Duration = .seconds(2)) {
        self.target = target
        self.interval = interval
        self.timeout = timeout
    }
}

/// How much the analysis pipeline may hold before it drops observations.
public struct AnalysisConfiguration: Sendable {
    /// `false` turns the pipeline off: a plain proxy, `/metrics` with process metrics only.
    public var enabled: Bool
    /// Finished exchanges waiting to be analysed; beyond this they are dropped and counted.
    public var queueCapacity: Int
    /// Bodies longer than this are proxied and counted but not decoded (`too_large`).
    public var maxPayloadSize: Int
    /// Body bytes the pipeline may hold at once, in flight and queued together.
    public var memoryLimit: Int

    public init(enabled: Bool = true, queueCapacity: Int = 4096, maxPayloadSize: Int = 8 << 20, memoryLimit: Int = 256 << 20) {
        self.enabled = enabled
        self.queueCapacity = queueCapacity
        self.maxPayloadSize = maxPayloadSize
        self.memoryLimit = memoryLimit
    }
}

/// Which model and version names become metric label values.
public struct ModelsConfiguration: Sendable {
    /// The model for requests that name none (generic, MLflow); `nil` reports them as `unknown`.
    public var defaultModel: String?
    /// Models always reported under their own name.
    public var names: [String]
    /// How many further model names are kept, first seen first; later ones become `other`.
    public var maxModels: Int
    /// How many versions per model are kept; later ones become `other`.
    public var maxVersions: Int

    public init(defaultModel: String? = nil, names: [String] = [], maxModels: Int = 32, maxVersions: Int = 8) {
        self.defaultModel = defaultModel
        self.names = names
        self.maxModels = maxModels
        self.maxVersions = maxVersions
    }
}

/// Command-line values that take precedence over the file.
public struct ConfigurationOverrides: Sendable {
    public var listen: String?
    public var adminListen: String?
    public var upstream: String?
    public var storagePath: String?

    public init(listen: String? = nil, adminListen: String? = nil, upstream: String? = nil, storagePath: String? = nil) {
        self.listen = listen
        self.adminListen = adminListen
        self.upstream = upstream
        self.storagePath = storagePath
    }
}

/// Where and how often the sidecar records its own metrics into the SQLite store.
public struct StorageConfiguration: Sendable {
    /// `false` records nothing: `/metrics` only, no history.
    public var enabled: Bool
    /// The database file; a relative path in the file is relative to the file's directory, one
    /// given with `--storage-path` to the working directory.
    public var path: String
    /// How often every series is snapshotted into the store; also how much a `kill -9` can lose.
    public var scrapeInterval: Duration
    /// Retention, downsampling and chunking, as the store takes them.
    public var store: StoreConfiguration

    public init(
        enabled: Bool = true,
        path: String = "modelwatch.db",
        scrapeInterval: Duration = .seconds(10),
        store: StoreConfiguration = StoreConfiguration()
    ) {
        self.enabled = enabled
        self.path = path
        self.scrapeInterval = scrapeInterval
        self.store = store
    }
}

/// Drift monitoring: how statistics are computed and judged, and each model's baseline.
public struct DriftConfiguration: Sendable {
    /// `false` turns drift off: no sampling, no histograms, no drift series.
    public var enabled: Bool
    public var settings: DriftSettings
    /// Models with a baseline, by model name. Other models are sampled without one, so a
    /// baseline can be captured from their traffic.
    public var models: [String: ModelDriftConfiguration]

    public init(enabled: Bool = true, settings: DriftSettings = DriftSettings(), models: [String: ModelDriftConfiguration] = [:]) {
        self.enabled = enabled
        self.settings = settings
        self.models = models
    }
}

/// One model's baseline and how its payload values map to the baseline's names.
public struct ModelDriftConfiguration: Sendable {
    /// The file the baseline was read from.
    public var baselinePath: String
    public var baseline: Baseline
    /// Feature or output name → payload source (`input-0[2]`, `instances[0]`, `predict`).
    public var mapping: [String: String]

    public init(baselinePath: String, baseline: Baseline, mapping: [String: String] = [:]) {
        self.baselinePath = baselinePath
        self.baseline = baseline
        self.mapping = mapping
    }
}
