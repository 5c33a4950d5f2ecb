import Foundation
import Logging
import ModelWatchMetrics
import ModelWatchProtocols
import ModelWatchProxy
import ModelWatchReference
import Synchronization

/// One shadowed model: its sampler, its bounded queue and the inference threads that serve it.
///
/// Each thread keeps its own reference session (a session is single-threaded). A reference that
/// fails on an input, a shadow backend that is down or slow: the comparison counts as `error`
/// with a reason, and the thread takes the next job.
final class ShadowRunner: Sendable {
    let model: String
    let configuration: ShadowModelConfiguration
    private let queue: ShadowQueue<ShadowJob>
    private let sampler: Mutex<ShadowSampler>
    private let metrics: ShadowMetrics
    private let feeds: ReferenceFeeds?
    private let client: UpstreamClient?
    private let keep: @Sendable (ShadowMismatchCandidate) -> Void
    private let logger: Logger
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private let running = Mutex<(threads: Int, waiters: [CheckedContinuation<Void, Never>])>((0, []))
    /// Errors since the last log line, so a failing reference logs once per episode, not per request.
    private let errorEpisode = Mutex<(count: Int, logged: Bool)>((0, false))

    /// Answers from a URL shadow longer than this are refused rather than buffered.
    static let maxShadowAnswerBytes = 16 << 20

    init(
        model: String, configuration: ShadowModelConfiguration, metrics: ShadowMetrics, client: UpstreamClient?, logger: Logger,
        keep: @escaping @Sendable (ShadowMismatchCandidate) -> Void
    ) {
        self.model = model
        self.configuration = configuration
        self.queue = ShadowQueue(capacity: configuration.queueCapacity)
        self.sampler = Mutex(
            ShadowSampler(
                fraction: configuration.sample, deterministic: configuration.deterministic, maxPerSecond: configuration.maxPerSecond,
                seed: UInt64(truncatingIfNeeded: model.hashValue)))
        self.metrics = metrics
        if case .reference(_, let reference) = configuration.target {
            self.feeds = ReferenceFeeds(model: reference, mappings: configuration.inputs)
        } else {
            self.feeds = nil
        }
        self.client = client
        self.logger = logger
        self.keep = keep
        self.started = self.clock.now
        metrics.register(model: model)
    }

    // MARK: Analysis pipeline

    /// Samples, rate-limits and enqueues one answered exchange; never waits.
    func offer(_ job: @autoclosure () -> ShadowJob, body: [UInt8]) {
        let now = (self.clock.now - self.started).seconds
        switch self.sampler.withLock({ $0.decide(body: body, now: now) }) {
        case .notSampled: return
        case .rateLimited: self.metrics.recordSkipped(model: self.model, reason: .rateLimited)
        case .compare:
            if !self.queue.offer(job()) { self.metrics.recordSkipped(model: self.model, reason: .queueFull) }
        }
    }

    /// Counts a sampled exchange whose payloads were not decoded, so it cannot be compared.
    func skipUndecoded(body: [UInt8]) {
        let now = (self.clock.now - self.started).seconds
        if self.sampler.withLock({ $0.decide(body: body, now: now) }) == .compare {
            self.metrics.recordSkipped(model: self.model, reason: .notDecoded)
        }
    }

    // MARK: Threads

    /// Starts the inference threads.
    func start() {
        self.running.withLock { $0.threads = self.configuration.threads }
        for index in 0..<self.configuration.threads {
            let name = "mw-shadow-\(index)"
            let thread = Thread { [self] in
                try? name.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
                self.serve()
                let waiters = self.running.withLock { state -> [CheckedContinuation<Void, Never>] in
                    state.threads -= 1
                    guard state.threads == 0 else { return [] }
                    defer { state.waiters = [] }
                    return state.waiters
                }
                for waiter in waiters { waiter.resume() }
            }
            thread.start()
        }
    }

    /// Closes the queue and waits until the threads have compared what was queued.
    func stop() async {
        self.queue.close()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = self.running.withLock { state -> Bool in
                if state.threads > 0 { state.waiters.append(continuation) }
                return state.threads == 0
            }
            if done { continuation.resume() }
        }
    }

    /// Compares until the queue is closed and empty. A reference thread keeps one session for
    /// all its jobs, passed `inout` so its buffers are reused rather than copied.
    private func serve() {
        if case .reference(_, let reference) = self.configuration.target {
            var session = reference.makeSession()
            while let job = self.queue.take() {
                var answer: [UInt8] = []
                let verdict = self.compareWithReference(job, session: &session, answer: &answer)
                self.record(verdict, job: job, shadowAnswer: answer)
            }
        } else {
            while let job = self.queue.take() {
                var answer: [UInt8] = []
                let verdict = self.compareWithBackend(job, answer: &answer)
                self.record(verdict, job: job, shadowAnswer: answer)
            }
        }
    }

    private func compareWithReference(_ job: ShadowJob, session: inout ReferenceSession, answer: inout [UInt8]) -> ShadowVerdict {
        guard let feeds = self.feeds else { return .error(.notConfigured, "no reference") }
        let inputs: [String: ModelWatchReference.Tensor]
        do {
            inputs = try feeds.feeds(from: job.request)
        } catch {
            return .error(ShadowErrorReason(error.reason), error.detail)
        }
        let start = self.clock.now
        let outputs: [String: Value]
        do {
            outputs = try session.run(tensors: inputs)
        } catch {
            self.metrics.recordInference(model: self.model, seconds: (self.clock.now - start).seconds)
            return .error(ShadowErrorReason(error.code), error.description)
        }
        self.metrics.recordInference(model: self.model, seconds: (self.clock.now - start).seconds)
        answer = Array(ReferenceFiles.json(outputs, order: session.model.outputs.map(\.name)).utf8)
        return ShadowVerdict.judge(pairs: self.configuration.outputs, backend: job.response) { name in
            outputs[name].map(ShadowOutput.init)
        }
    }

    private func compareWithBackend(_ job: ShadowJob, answer: inout [UInt8]) -> ShadowVerdict {
        guard let client = self.client else { return .error(.notConfigured, "no shadow backend") }
        let reply = ReplyBox()
        var headers: [(name: String, value: String)] = []
        if let contentType = job.requestContentType { headers.append(("Content-Type", contentType)) }
        if let length = job.requestHeaderLength { headers.append(("Inference-Header-Content-Length", String(length))) }
        client.exchange(
            method: job.method, target: job.target, headers: headers, body: job.requestBody, timeout: self.configuration.timeout,
            maxBodyBytes: Self.maxShadowAnswerBytes
        ) { result in reply.fulfil(result) }
        switch reply.wait() {
        case .failure(let failure):
            return .error(ShadowErrorReason(failure.kind), failure.detail)
        case .success(let shadowReply):
            answer = shadowReply.body
            guard (200..<300).contains(shadowReply.status) else {
                return .error(.shadowStatus, "the shadow backend answered \(shadowReply.status)")
            }
            let decoded = ExchangeDecoder().decode(
                ExchangePayloads(
                    method: job.method, target: job.target, requestContentType: job.requestContentType,
                    requestHeaderLength: job.requestHeaderLength, requestBody: job.requestBody, status: shadowReply.status,
                    responseContentType: shadowReply.contentType, responseHeaderLength: shadowReply.headerLength,
                    responseBody: shadowReply.body))
            guard let response = decoded.response else {
                return .error(
                    .shadowNotDecoded, decoded.failures.first.map { "\($0.failure)" } ?? "the shadow's answer was not understood")
            }
            return ShadowVerdict.judge(pairs: self.configuration.outputs, backend: job.response) { name in
                response.tensors.first { $0.name == name }.flatMap(ShadowOutput.init)
            }
        }
    }

    private func record(_ verdict: ShadowVerdict, job: ShadowJob, shadowAnswer: [UInt8]) {
        for output in verdict.outputs where !output.absoluteErrors.isEmpty {
            self.metrics.recordErrors(
                model: self.model, output: output.output, absolute: output.absoluteErrors, relative: output.relativeErrors)
        }
        self.metrics.recordComparison(model: self.model, version: job.version, result: verdict.result.rawValue)
        if verdict.result != .error {
            let ended = self.errorEpisode.withLock { episode -> Int? in
                defer { episode = (0, false) }
                return episode.logged ? episode.count : nil
            }
            if let ended {
                self.logger.notice(
                    "shadow comparisons work again", metadata: ["model": "\(self.model)", "shadow.failed_comparisons": "\(ended)"])
            }
        }
        switch verdict.result {
        case .match: break
        case .mismatch:
            self.keep(ShadowMismatchCandidate(job: job, verdict: verdict, shadowAnswer: shadowAnswer))
        case .error:
            let reason = verdict.errorReason ?? .notConfigured
            self.metrics.recordError(model: self.model, reason: reason)
            let first = self.errorEpisode.withLock { episode -> Bool in
                episode.count += 1
                defer { episode.logged = true }
                return !episode.logged
            }
            if first {
                self.logger.warning(
                    "shadow comparison failed; further failures are counted in modelwatch_shadow_errors_total",
                    metadata: [
                        "model": "\(self.model)", "shadow.reason": "\(reason.rawValue)", "shadow.detail": "\(verdict.errorDetail ?? "")",
                    ])
            }
        }
    }

}

/// Where an inference thread waits for its URL shadow's answer, delivered on an event loop.
private final class ReplyBox: @unchecked Sendable {
    // @unchecked Sendable: `result` is only touched with `condition` locked.
    private let condition = NSCondition()
    private var result: Result<UpstreamReply, UpstreamFailure>?

    func fulfil(_ result: Result<UpstreamReply, UpstreamFailure>) {
        self.condition.lock()
        self.result = result
        self.condition.broadcast()
        self.condition.unlock()
    }

    func wait() -> Result<UpstreamReply, UpstreamFailure> {
        self.condition.lock()
        defer { self.condition.unlock() }
        while true {
            if let result = self.result { return result }
            self.condition.wait()
        }
    }
}
