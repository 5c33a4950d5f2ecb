import Glibc
public import Logging
import ModelWatchDrift
import ModelWatchMetrics
import ModelWatchProxy
import ModelWatchQuery
import ModelWatchStore
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// The whole sidecar: upstream client, data port, analysis pipeline, store recorder, admin port
/// and readiness probe, run as one service group that stops gracefully on SIGTERM or SIGINT.
public enum Sidecar {
    /// The version reported by `modelwatch --version`.
    public static let version = "0.1.0"

    /// Runs until a shutdown signal, then drains in-flight requests and returns.
    /// - Throws: when a port cannot be bound or libcurl cannot start.
    public static func run(configuration: ModelWatchConfiguration, logger: Logger) async throws {
        guard let threads = configuration.server.eventLoopThreads else {
            return try await self.run(configuration: configuration, group: .singleton, logger: logger)
        }
        // A group of the configured size is this run's own: its threads stop when the run ends,
        // however it ends.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        do {
            try await self.run(configuration: configuration, group: group, logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    private static func run(configuration: ModelWatchConfiguration, group: MultiThreadedEventLoopGroup, logger: Logger) async throws {
        let client = try UpstreamClient(configuration: configuration.upstream, group: group, logger: logger)
        let catalogue = MetricCatalogue(version: Self.version)
        let readiness = try ReadinessProbe(
            upstream: configuration.upstream,
            group: group,
            target: configuration.readiness.target,
            interval: configuration.readiness.interval,
            timeout: configuration.readiness.timeout,
            logger: logger,
            // The store's self-scrape, and so the sidecar's own rules, see every probe's verdict,
            // not only the one a /metrics scrape last asked for.
            observe: { status in catalogue.setUpstreamUp(status.isReady) }
        )
        // Opened before any port is bound: a store another process holds stops the start with its reason.
        let recorder =
            configuration.storage.enabled
            ? try await StoreRecorder.open(configuration: configuration.storage, catalogue: catalogue, logger: logger) : nil
        let drift =
            configuration.analysis.enabled && configuration.drift.enabled
            ? await DriftTracker.start(configuration: configuration.drift, catalogue: catalogue, recorder: recorder, logger: logger) : nil
        // Rules run on the store's history; the API shows their latest state.
        let board = RuleStatusBoard(groups: configuration.rules.groups, defaultInterval: configuration.rules.evaluationInterval)
        let evaluatesRules = recorder != nil && !configuration.rules.groups.isEmpty
        let notifier =
            evaluatesRules && !configuration.alerting.alertmanagers.isEmpty
            ? AlertNotifier(configuration: configuration.alerting, catalogue: catalogue, logger: logger) : nil
        let externalURL =
            configuration.alerting.externalURL
            ?? AlertingConfiguration.defaultExternalURL(hostName: Self.hostName, admin: configuration.admin.listen)
        let rules =
            recorder.flatMap { recorder in
                evaluatesRules
                    ? RuleEvaluationService(
                        configuration: configuration.rules, alerting: configuration.alerting, externalURL: externalURL,
                        notifier: notifier, storagePath: configuration.storage.path, recorder: recorder, board: board,
                        catalogue: catalogue, logger: logger)
                    : nil
            }
        let shadow: ShadowService?
        do {
            shadow =
                configuration.analysis.enabled && !configuration.shadow.models.isEmpty
                ? try ShadowService(
                    configuration: configuration.shadow, group: group, catalogue: catalogue, recorder: recorder, logger: logger)
                : nil
        } catch {
            // The recorder's writer thread runs from `open`, so that a locked store stops the start
            // early; a start that fails after it must not leave that thread behind.
            await recorder?.abandon()
            throw error
        }
        let analyzer = ExchangeAnalyzer(configuration: configuration, catalogue: catalogue, drift: drift, shadow: shadow, logger: logger)
        let pipeline = configuration.analysis.enabled ? AnalysisPipeline(configuration: configuration.analysis, analyzer: analyzer) : nil
        let proxy = ProxyServer.make(configuration: configuration.server, client: client, observer: pipeline, group: group, logger: logger)
        if pipeline != nil {
            let statistics = proxy.statistics
            catalogue.watchConnections {
                let counts = statistics.counts
                return ConnectionReading(
                    open: counts.open, accepted: counts.accepted,
                    refused: Dictionary(uniqueKeysWithValues: counts.refused.map { ($0.key.rawValue, $0.value) }),
                    timedOut: Dictionary(uniqueKeysWithValues: counts.timedOut.map { ($0.key.rawValue, $0.value) }))
            }
        }
        // The query API and the status page read the store file the recorder writes, through
        // read-only connections.
        let readPlane =
            configuration.storage.enabled
            ? ReadPlane(
                path: configuration.storage.path, readers: configuration.query.maxConcurrency, maxWaiting: configuration.query.maxQueued)
            : nil
        let api = readPlane.map { PrometheusAPI(readPlane: $0, options: configuration.query, catalogue: catalogue, rules: board) }
        let statusPage = readPlane.map {
            StatusPage(
                readPlane: $0, readiness: readiness, thresholds: configuration.drift.settings.thresholds,
                baselineModels: Set(configuration.drift.models.keys), storagePath: configuration.storage.path)
        }
        let admin = HTTPServer(name: "admin", address: configuration.admin.listen, group: group, gracePeriod: .seconds(1), logger: logger) {
            channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(
                    AdminHandler(readiness: readiness, catalogue: catalogue, api: api, statusPage: statusPage))
            }
        }
        logger.info(
            "starting modelwatch",
            metadata: [
                "version": "\(Self.version)",
                "upstream.url": "\(configuration.upstream.url)",
                "server.listen": "\(configuration.server.listen)",
                "admin.listen": "\(configuration.admin.listen)",
                "storage.path": "\(configuration.storage.enabled ? configuration.storage.path : "off")",
            ]
        )
        // Shutdown runs in reverse order: the data port drains first, then the pipeline analyses
        // what it was handed, the shadow threads compare what was queued, drift seals the live
        // minute, the recorder writes a last snapshot of it all, and the upstream client goes last.
        // The notifier stops after the rules that feed it.
        let optional: [(any Service)?] = [client, recorder, drift, shadow, notifier, rules, pipeline, admin, readiness, proxy]
        let services: [ServiceGroupConfiguration.ServiceConfiguration] = optional.compactMap { $0.map { .init(service: $0) } }
        try await self.runUntilShutdownSignal(services, logger: logger)
    }

    /// Runs `services` as one group until SIGTERM or SIGINT starts its graceful shutdown.
    private static func runUntilShutdownSignal(_ services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger) async throws {
        guard let signals = ShutdownSignals.shared else {
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            return try await group.run()
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        let onSignal: @Sendable (Int32) -> Void = { signal in
            logger.info("received a shutdown signal, draining", metadata: ["signal": "\(signal == SIGTERM ? "SIGTERM" : "SIGINT")"])
            Task { await group.triggerGracefulShutdown() }
        }
        try await signals.whileSubscribed(onSignal: onSignal) { try await group.run() }
    }

    /// This machine's host name, for the default external URL, as Prometheus takes `os.Hostname()`.
    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    /// Serves the query API (and `/healthz`, `/readyz`) over an existing store file, read-only:
    /// no proxying, no recording; until SIGTERM or SIGINT.
    /// - Throws: `SidecarStartError` naming the file or address, or what the port's bind failed with.
    public static func serveAPI(database: String, listen text: String, query: QueryConfiguration, logger: Logger) async throws {
        let listen: ListenAddress
        do {
            listen = try ListenAddress(parsing: text)
        } catch {
            throw SidecarStartError(.invalidAddress, "--listen \(text): \(error)")
        }
        do {
            _ = try TimeSeriesStore(readingFrom: database)
        } catch {
            throw SidecarStartError(.unreadableStore, error.message)
        }
        let readPlane = ReadPlane(path: database, readers: query.maxConcurrency, maxWaiting: query.maxQueued)
        let api = PrometheusAPI(readPlane: readPlane, options: query, catalogue: nil)
        let statusPage = StatusPage(
            readPlane: readPlane, readiness: nil, thresholds: DriftThresholds(), baselineModels: [], storagePath: database)
        let server = HTTPServer(
            name: "query API", address: listen, group: MultiThreadedEventLoopGroup.singleton, gracePeriod: .seconds(1), logger: logger
        ) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(
                    AdminHandler(readiness: nil, catalogue: nil, api: api, statusPage: statusPage))
            }
        }
        logger.info("serving the query API over a store file", metadata: ["storage.path": "\(database)", "api.listen": "\(listen)"])
        try await self.runUntilShutdownSignal([.init(service: server)], logger: logger)
    }
}

/// Why a server could not start: a bad address or file, said in one line.
public struct SidecarStartError: Error, CustomStringConvertible {
    /// What kind of failure this is; callers branch on it, people read ``SidecarStartError/description``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case invalidAddress = "invalid-address"
            case unreadableStore = "unreadable-store"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// An address to listen on could not be parsed.
        public static let invalidAddress = Code(.invalidAddress)
        /// The store file is missing, unreadable or not a ModelWatch store.
        public static let unreadableStore = Code(.unreadableStore)

        public var description: String { self.value.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// The one line a CLI prints: the file or address, and what is wrong with it.
    public let description: String
    /// The source file that raised the error.
    public let file: String
    /// The source line that raised the error.
    public let line: Int

    init(_ code: Code, _ description: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.description = description
        self.file = file
        self.line = line
    }
}
