import Logging
import ModelWatchMetrics
import ModelWatchProtocols
import ModelWatchProxy
import ModelWatchStore
import NIOCore
import ServiceLifecycle
import Synchronization

/// The shadow path: the analysis pipeline offers each answered exchange of a shadowed model;
/// sampled ones are compared on that model's inference threads, and mismatches are written to
/// the store once a second on the recorder's writer thread.
///
/// Nothing here runs on the proxy path: offers come from the analysis pipeline after decoding,
/// and the pipeline never waits (a full queue skips the comparison and counts it).
final class ShadowService: Service {
    private let runners: [String: ShadowRunner]
    private let clients: [UpstreamClient]
    private let recorder: StoreRecorder?
    private let metrics: ShadowMetrics
    private let pending: PendingMismatches
    private let logger: Logger

    /// Mismatches waiting for the store at most; beyond, they are counted but not kept.
    static let maxPending = 1024

    /// Creates the runners; URL shadows get an upstream client of their own on `group`'s loops,
    /// so a slow canary never shares connections (or libcurl's connection limit) with the proxied
    /// traffic.
    /// - Throws: `UpstreamClientError` when libcurl cannot start.
    init(
        configuration: ShadowConfiguration, group: any EventLoopGroup, catalogue: MetricCatalogue, recorder: StoreRecorder?,
        logger: Logger
    ) throws {
        let metrics = catalogue.shadowMetrics()
        let pending = PendingMismatches()
        var runners: [String: ShadowRunner] = [:]
        var clients: [UpstreamClient] = []
        for (model, entry) in configuration.models.sorted(by: { $0.key < $1.key }) {
            var client: UpstreamClient?
            if case .url(let url) = entry.target {
                let created = try UpstreamClient(
                    configuration: UpstreamConfiguration(
                        url: url, timeout: entry.timeout, maxConnections: max(2, entry.threads)),
                    group: group, logger: logger)
                clients.append(created)
                client = created
            }
            runners[model] = ShadowRunner(model: model, configuration: entry, metrics: metrics, client: client, logger: logger) {
                candidate in
                let accepted = pending.items.withLock { queue -> Bool in
                    guard queue.count < Self.maxPending else { return false }
                    queue.append(candidate)
                    return true
                }
                if !accepted { metrics.recordMismatchNotKept(model: model) }
            }
        }
        self.pending = pending
        self.runners = runners
        self.clients = clients
        self.recorder = recorder
        self.metrics = metrics
        self.logger = logger
    }

    /// The models with a shadow, whose label values must stay their own.
    var models: [String] { self.runners.keys.sorted() }

    // MARK: Analysis pipeline

    /// Offers one analysed exchange. Only 2xx answers of shadowed models are considered.
    func offer(model: String, version: String, decoded: DecodedExchange, payloads: ExchangePayloads) {
        guard let runner = self.runners[model], let status = payloads.status, (200..<300).contains(status) else { return }
        let body = payloads.requestBody ?? []
        guard let request = decoded.request, let response = decoded.response, let responseBody = payloads.responseBody else {
            runner.skipUndecoded(body: body)
            return
        }
        runner.offer(
            ShadowJob(
                model: model, version: version, method: payloads.method, target: payloads.target,
                requestContentType: payloads.requestContentType, requestHeaderLength: payloads.requestHeaderLength, requestBody: body,
                responseBody: responseBody, request: request, response: response),
            body: body)
    }

    // MARK: Service

    /// Writes kept mismatches once a second until shutdown; then lets the threads finish what is
    /// queued, writes the last mismatches and stops the shadow clients.
    func run() async throws {
        for runner in self.runners.values { runner.start() }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            } catch {
                break
            }
            await self.flush()
        }
        for runner in self.runners.values { await runner.stop() }
        await self.flush()
        for client in self.clients { await client.shutdown() }
    }

    private func flush() async {
        let candidates = self.pending.items.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        guard !candidates.isEmpty else { return }
        guard let recorder = self.recorder else { return }
        let now = WallClock.milliseconds()
        var byModel: [String: [ShadowMismatchRecord]] = [:]
        for candidate in candidates {
            guard let runner = self.runners[candidate.job.model] else { continue }
            byModel[candidate.job.model, default: []].append(candidate.record(redacting: Set(runner.configuration.redact), at: now))
        }
        for (model, records) in byModel {
            let limit = self.runners[model]?.configuration.maxMismatchesPerHour ?? 0
            do {
                let kept = try await recorder.withStore { store in try store.appendShadowMismatches(records, limitPerHour: limit) }
                for _ in kept..<records.count { self.metrics.recordMismatchNotKept(model: model) }
            } catch {
                for _ in records { self.metrics.recordMismatchNotKept(model: model) }
                self.logger.warning(
                    "shadow mismatches not recorded",
                    metadata: ["model": "\(model)", "shadow.mismatches": "\(records.count)", "error": "\(error)"])
            }
        }
    }
}

/// Mismatches handed over by the inference threads, waiting for the next write.
private final class PendingMismatches: Sendable {
    let items = Mutex<[ShadowMismatchCandidate]>([])
}
