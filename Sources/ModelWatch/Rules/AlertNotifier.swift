import Logging
import ModelWatchAlerting
import ModelWatchMetrics
import ModelWatchProxy
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Sends the alerts rule evaluation hands it to every configured Alertmanager's v2 API.
///
/// Each Alertmanager has its own bounded queue and sender, so one that is down or slow delays
/// no other; its POSTs run through libcurl on a thread of the notifier's own, never on an event
/// loop or the cooperative pool. `send` only queues, so rule
/// evaluation never waits for an Alertmanager.
final class AlertNotifier: Service, Sendable {
    private let targets: [HTTPPostTarget]
    /// One delivery state machine per Alertmanager, in the order of `targets`.
    private let deliveries: Mutex<[AlertmanagerDelivery]>
    private let wakeUps: [AsyncStream<Void>.Continuation]
    private let streams: [AsyncStream<Void>]
    private let metrics: NotificationMetrics
    private let logger: Logger
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init(configuration: AlertingConfiguration, catalogue: MetricCatalogue, logger: Logger) {
        self.targets = configuration.alertmanagers
        self.deliveries = Mutex(configuration.alertmanagers.map { _ in AlertmanagerDelivery(capacity: configuration.queueCapacity) })
        var streams: [AsyncStream<Void>] = []
        var wakeUps: [AsyncStream<Void>.Continuation] = []
        for _ in configuration.alertmanagers {
            let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            streams.append(stream)
            wakeUps.append(continuation)
        }
        self.streams = streams
        self.wakeUps = wakeUps
        self.metrics = catalogue.notificationMetrics(capacity: configuration.queueCapacity * configuration.alertmanagers.count)
        self.logger = logger
        self.start = self.clock.now
    }

    /// Queues alerts for every Alertmanager; counts those a full queue drops.
    func send(_ alerts: [AlertNotification]) {
        guard !alerts.isEmpty else { return }
        let (dropped, length) = self.deliveries.withLock { deliveries in
            var dropped = 0
            for index in deliveries.indices { dropped += deliveries[index].enqueue(alerts) }
            return (dropped, deliveries.reduce(0) { $0 + $1.queue.count })
        }
        self.metrics.record(.dropped, count: dropped)
        self.metrics.setQueueLength(length)
        for wakeUp in self.wakeUps { wakeUp.yield() }
    }

    func run() async throws {
        self.logger.info(
            "sending alerts", metadata: ["alerting.alertmanagers": "\(self.targets.map(\.url).joined(separator: ", "))"])
        let senders = NIOThreadPool(numberOfThreads: self.targets.count)
        senders.start()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { tasks in
                for index in self.targets.indices {
                    tasks.addTask { await self.deliver(to: index, on: senders) }
                }
            }
        }
        for wakeUp in self.wakeUps { wakeUp.finish() }
        try await senders.shutdownGracefully()
    }

    /// Milliseconds on the notifier's monotonic clock, what the delivery state machines count in.
    private var now: Int64 {
        let elapsed = self.clock.now - self.start
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    private func deliver(to index: Int, on senders: NIOThreadPool) async {
        let target = self.targets[index]
        guard let client = HTTPPostClient() else {
            self.logger.error(
                "libcurl could not make a handle: no alerts go to this Alertmanager", metadata: ["alertmanager.url": "\(target.url)"])
            return
        }
        let sender = PostingThreadClient(client: client)
        var wakeUps = self.streams[index].makeAsyncIterator()
        var failing = 0
        while !Task.isCancelled {
            let action = self.deliveries.withLock { $0[index].next(at: self.now) }
            switch action {
            case .idle:
                guard await wakeUps.next() != nil else { return }
            case .wait(let until):
                try? await Task.sleep(for: .milliseconds(max(0, until - self.now)))
            case .send(let batch):
                let body = AlertmanagerPayload.encode(batch)
                let outcome: HTTPPostOutcome
                do {
                    outcome = try await senders.runIfActive {
                        sender.client.post(body, contentType: AlertmanagerPayload.contentType, to: target)
                    }
                } catch {
                    return  // the thread pool is shutting down
                }
                let problem: String? =
                    switch outcome {
                    case .answered(let status, _) where (200..<300).contains(status): nil
                    case .answered(let status, let body): "answered \(status): \(body)"
                    case .failed(let reason): reason
                    }
                if let problem {
                    let (dropped, _) = self.deliveries.withLock { $0[index].failed(at: self.now) }
                    self.metrics.record(.failed, count: batch.count)
                    self.metrics.record(.dropped, count: dropped)
                    if failing == 0 {
                        self.logger.warning(
                            "Alertmanager did not take alerts; retrying with back-off",
                            metadata: ["alertmanager.url": "\(target.url)", "alerts": "\(batch.count)", "error": "\(problem)"])
                    }
                    failing += 1
                } else {
                    self.deliveries.withLock { $0[index].delivered() }
                    self.metrics.record(.sent, count: batch.count)
                    if failing > 0 {
                        self.logger.info(
                            "Alertmanager takes alerts again",
                            metadata: ["alertmanager.url": "\(target.url)", "failed_posts": "\(failing)"])
                    }
                    failing = 0
                }
                self.updateQueueLength()
            }
        }
    }

    private func updateQueueLength() {
        self.metrics.setQueueLength(self.deliveries.withLock { deliveries in deliveries.reduce(0) { $0 + $1.queue.count } })
    }
}

/// One Alertmanager's libcurl client, handed to the notifier's threads.
private struct PostingThreadClient: @unchecked Sendable {
    // @unchecked Sendable: only that Alertmanager's sender uses it, one POST at a time, each
    // awaited before the next begins, so the handle is never used by two threads at once.
    let client: HTTPPostClient
}
