import Logging
import ModelWatchMetrics
import ModelWatchProxy
import ServiceLifecycle

/// Where finished exchanges go to be understood: a bounded queue filled by the data port and one
/// consumer that decodes payloads and updates metrics, so the proxy path never waits on either.
///
/// It is the data port's `ExchangeObserver`: the hot-path methods only raise a gauge, check a
/// budget and enqueue. On shutdown it analyses what is queued before it returns.
final class AnalysisPipeline: ExchangeObserver, Service {
    let captureLimit: Int
    private let queue: ObservationQueue
    private let analyzer: ExchangeAnalyzer
    private let catalogue: MetricCatalogue

    /// How long the consumer lets exchanges gather after a batch. Short against a scrape
    /// interval; long against the microseconds one exchange takes to analyse.
    static let gatherTick = Duration.milliseconds(5)

    init(configuration: AnalysisConfiguration, analyzer: ExchangeAnalyzer) {
        self.captureLimit = configuration.maxPayloadSize
        self.queue = ObservationQueue(capacity: configuration.queueCapacity, memoryLimit: configuration.memoryLimit)
        self.analyzer = analyzer
        self.catalogue = analyzer.catalogue
        let queue = self.queue
        self.catalogue.watchAnalysisQueue(capacity: queue.capacity, memoryLimit: queue.memoryLimit) { (queue.waiting, queue.bytesHeld) }
    }

    // MARK: ExchangeObserver (event loops)

    /// - Returns: the slot of the request's route in the analyzer's route table.
    func exchangeBegan(method: String, target: String) -> Int {
        let (slot, entry) = self.analyzer.routes.slot(method: method, target: target)
        entry.inFlight.raise()
        return slot
    }

    func reserveCapture(bytes: Int) -> Bool {
        self.queue.reserve(bytes: bytes)
    }

    func exchangeEnded(_ observation: ExchangeObservation) {
        self.analyzer.routes.entry(observation.tag)?.inFlight.lower()
        if !self.queue.offer(observation) {
            self.queue.release(bytes: observation.reservedBytes)
            self.catalogue.recordDroppedObservation(reason: .queueFull)
        }
    }

    // MARK: Analysis

    /// Analyses what is queued now, on the caller's thread, without waiting for more.
    /// - Returns: how many observations were analysed.
    func analyzeWaiting() -> Int {
        let batch = self.queue.takeWaiting()
        self.analyze(batch)
        return batch.count
    }

    /// Analyses `batch` and gives back the body bytes its observations held.
    private func analyze(_ batch: [ExchangeObservation]) {
        for observation in batch {
            self.analyzer.analyze(observation)
            self.queue.release(bytes: observation.reservedBytes)
        }
    }

    // MARK: Service

    /// Analyses until shutdown. A graceful shutdown closes the queue and analyses what is left;
    /// cancellation (the service group tearing down because another service failed, say) closes
    /// it too, so the consumer never waits on an empty queue that nobody will fill.
    func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                while let batch = await self.queue.next() {
                    self.analyze(batch)
                    // Under traffic, let the next exchanges gather instead of being woken for
                    // each: a wake-up costs the event loop a futex call and this thread a context
                    // switch, more than analysing a small exchange. Metrics lag by at most a tick.
                    if batch.count < self.queue.capacity / 2 {
                        try? await Task.sleep(for: Self.gatherTick)
                    }
                }
            } onGracefulShutdown: {
                self.queue.close()
            }
        } onCancel: {
            self.queue.close()
        }
    }
}
