public import Logging
import NIOConcurrencyHelpers
public import ServiceLifecycle

/// Asks the backend at a fixed interval whether it is ready, so `/readyz` can answer at once.
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

    /// - Parameter observe: told every verdict as it is reached, so what depends on it (the
    ///   `modelwatch_upstream_up` gauge the store records) is current without anyone asking.
    public init(
        client: UpstreamClient, target: Target, interval: Duration, timeout: Duration, logger: Logger,
        observe: @escaping @Sendable (Status) -> Void = { _ in }
    ) {
        self.client = client
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

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.probeOnce()
                try? await Task.sleep(for: self.interval)
            }
        }
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
            status = Status(isReady: false, detail: failure.description)
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
}
