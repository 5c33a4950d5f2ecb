import Prometheus
import Synchronization

/// What waits for analysis, read when the exposition is rendered (for `/metrics` and the store's
/// self-scrape) rather than per request, so the proxy path pays nothing for it.
struct AnalysisQueueSeries: Sendable {
    let waiting: Gauge
    let bytesHeld: Gauge
    /// Reads the queue: observations waiting and body bytes held for analysis.
    let read: @Sendable () -> (waiting: Int, bytesHeld: Int)

    func refresh() {
        let now = self.read()
        self.waiting.set(Double(now.waiting))
        self.bytesHeld.set(Double(now.bytesHeld))
    }
}

extension MetricCatalogue {
    /// Shows the analysis queue's length and held body bytes beside its limits, so a dashboard can
    /// tell a pipeline falling behind before observations are dropped.
    public func watchAnalysisQueue(capacity: Int, memoryLimit: Int, read: @escaping @Sendable () -> (waiting: Int, bytesHeld: Int)) {
        self.registry.makeGauge(descriptor: Self.describe("analysis_queue_capacity", Help.queueCapacity)).set(Double(capacity))
        self.registry.makeGauge(descriptor: Self.describe("analysis_memory_limit_bytes", Help.memoryLimit)).set(Double(memoryLimit))
        let series = AnalysisQueueSeries(
            waiting: self.registry.makeGauge(descriptor: Self.describe("analysis_queue_length", Help.queueLength)),
            bytesHeld: self.registry.makeGauge(descriptor: Self.describe("analysis_held_bytes", Help.heldBytes)), read: read)
        self.analysisQueue.withLock { $0 = series }
    }
}
