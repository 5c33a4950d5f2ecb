import NIOCore

/// Builds one `ExchangeObservation` as the exchange goes through `ProxyHandler`.
///
/// All it does on the proxy path is keep references to buffers that pass anyway, read the clock
/// and add numbers; a body longer than the observer's capture limit is only counted.
struct ExchangeRecorder {
    private let observer: any ExchangeObserver
    private let started: NIODeadline
    private var observation: ExchangeObservation
    /// Bytes reserved from the observer's budget; given back by whoever analyses or drops the observation.
    private var reserved = 0
    private var streaming = false

    init(observer: any ExchangeObserver, request: UpstreamRequest) {
        self.observer = observer
        self.started = .now()
        let tag = observer.exchangeBegan(method: request.method, target: request.target)
        self.observation = ExchangeObservation(tag: tag, method: request.method, target: request.target, requestHeaders: request.headers)
    }

    mutating func requestBody(_ buffer: ByteBuffer) {
        let keep = self.reserve(for: self.observation.requestBody, adding: buffer.readableBytes)
        self.observation.requestBody.append(buffer, keep: keep)
    }

    mutating func responseHead(_ head: UpstreamResponseHead, contentType: String?) {
        self.observation.responseHead = head
        self.streaming = contentType.map { $0.lowercased().hasPrefix("text/event-stream") } ?? false
    }

    mutating func responseBody(_ buffer: ByteBuffer) {
        let keep = self.reserve(for: self.observation.responseBody, adding: buffer.readableBytes)
        self.observation.responseBody.append(buffer, keep: keep)
        if self.streaming {
            let arrival = ExchangeObservation.BodyArrival(endOffset: self.observation.responseBody.byteCount, elapsed: self.elapsed)
            self.observation.arrivals.append(arrival)
        }
    }

    mutating func upstreamEnded(_ timings: UpstreamTimings) {
        self.observation.upstream = timings
    }

    /// Hands the observation to the observer; call exactly once.
    func finish(status: Int?, outcome: ExchangeObservation.Outcome) {
        var observation = self.observation
        observation.status = status
        observation.outcome = outcome
        observation.duration = self.elapsed
        observation.reservedBytes = self.reserved
        self.observer.exchangeEnded(observation)
    }

    private var elapsed: Duration {
        .nanoseconds((NIODeadline.now() - self.started).nanoseconds)
    }

    /// Reserves room for `count` more bytes of `body`, unless the body is already over the limit.
    private mutating func reserve(for body: CapturedBody, adding count: Int) -> Bool {
        guard body.isComplete, body.byteCount + count <= self.observer.captureLimit else { return false }
        guard self.observer.reserveCapture(bytes: count) else { return false }
        self.reserved += count
        return true
    }
}
