public import Logging
import NIOConcurrencyHelpers
public import NIOCore
public import ServiceLifecycle

/// Asks the backend at a fixed interval whether it is ready, so `/readyz` can answer at once.
///
/// The probe has a client of its own, one connection on one event loop, apart from the proxied
/// traffic's: with every proxied connection busy on hung requests, a probe queued behind them
/// would time out and call a backend that still answers its health route unready.
public final class ReadinessProbe: Service, Sendable {
    /// Where to ask.
    public enum Target: Sendable, Equatable {
        /// `GET /v2/health/ready` (Open Inference Protocol: KServe, Triton, MLServer). A 2xx is
        /// ready; a 404 means the backend speaks another protocol but answers HTTP, which counts as
        /// ready; anything else, or no answer, is not ready.
        case automatic
        /// `GET` this path; only a 2xx is ready (TF Serving: `/v1/models/NAME`).
        case path(String)
    }

    /// The latest verdict.
    public struct Status: Sendable, Equatable {
        public var isReady: Bool
        /// Why not, when not ready; what answered, when ready.
        public var detail: String
    }

    static let openInferenceHealthPath = "/v2/health/ready"

    private let client: UpstreamClient
    private let target: Target
    private let interval: Duration
    private let timeout: Duration
    private let logger: Logger
    private let observe: @Sendable (Status) -> Void
    private let latest = NIOLockedValueBox(Status(isReady: false, detail: "the backend has not been probed yet"))

    /// Prepares a probe of the backend `upstream` names; nothing runs until `run()`.
    /// - Parameters:
    ///   - group: the probe takes one loop of it for its connection.
    ///   - observe: told every verdict as it is reached, so what depends on it (the
    ///     `modelwatch_upstream_up` gauge the store records) is current without anyone asking.
    /// - Throws: `UpstreamClientError` when libcurl cannot be initialised.
    public init(
        upstream: UpstreamConfiguration, group: any EventLoopGroup, target: Target, interval: Duration, timeout: Duration,
        logger: Logger, observe: @escaping @Sendable (Status) -> Void = { _ in }
    ) throws(UpstreamClientError) {
        var own = upstream
        // One connection is enough for probes that never overlap, and the pool wait can only be
        // met if one did.
        own.maxConnections = 1
        own.poolTimeout = timeout
        own.timeout = timeout
        self.client = try UpstreamClient(configuration: own, group: group.next(), logger: logger)
        self.observe = observe
        self.target = target
        self.interval = interval
        self.timeout = timeout
        self.logger = logger
    }

    /// The verdict of the most recent probe.
    public var status: Status {
        self.latest.withLockedValue { $0 }
    }

    /// Probes until graceful shutdown, then lets go of the probe's connection.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.probeOnce()
                try? await Task.sleep(for: self.interval)
            }
        }
        await self.client.shutdown()
    }

    /// Probes the backend now and records the verdict.
    @discardableResult
    public func probeOnce() async -> Status {
        let path: String
        switch self.target {
        case .automatic: path = Self.openInferenceHealthPath
        case .path(let configured): path = configured
        }
        let answer = await self.client.status(of: "GET", target: path, timeout: self.timeout)
        // A probe cut short by shutdown says nothing about the backend.
        if Task.isCancelled { return self.status }
        let status: Status
        switch answer {
        case .success(let code) where (200..<300).contains(code):
            status = Status(isReady: true, detail: "GET \(path) answered \(code)")
        case .success(404) where self.target == .automatic:
            status = Status(isReady: true, detail: "the backend answers HTTP (GET \(path) answered 404)")
        case .success(let code):
            status = Status(isReady: false, detail: "GET \(path) answered \(code)")
        case .failure(let failure):
            status = Status(isReady: false, detail: "GET \(path): " + Self.explain(failure, timeout: self.timeout))
        }
        let previous = self.latest.withLockedValue { latest in
            defer { latest = status }
            return latest
        }
        self.observe(status)
        if previous.isReady != status.isReady {
            self.logger.info("backend readiness changed", metadata: ["upstream.ready": "\(status.isReady)", "detail": "\(status.detail)"])
        }
        return status
    }

    /// What a failed probe means, in words that point at the cause, with libcurl's own after.
    static func explain(_ failure: UpstreamFailure, timeout: Duration) -> String {
        let what: String
        switch failure.kind {
        case .connect: what = "could not connect to the backend"
        case .timeout: what = "no answer within \(timeout.configurationText)"
        case .reset: what = "the connection broke before an answer"
        case .tls: what = "the TLS handshake failed"
        case .protocol: what = "the backend's answer is not valid HTTP"
        case .poolTimeout: what = "the probe's connection stayed busy"
        }
        return "\(what) (\(failure.detail))"
    }
}
