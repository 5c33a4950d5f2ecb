import Logging
import ModelWatchMetrics
import ModelWatchProtocols
import ModelWatchProxy
import NIOCore
import Testing

@testable import ModelWatch

@Suite("Analysis pipeline")
struct AnalysisPipelineTests {
    static func observation(_ target: String = "/v2/models/iris/infer", reserved: Int = 0) -> ExchangeObservation {
        var observation = ExchangeObservation(tag: 0, method: "POST", target: target, status: 200)
        observation.reservedBytes = reserved
        return observation
    }

    static func pipeline(capacity: Int, memoryLimit: Int = 1 << 20) -> (AnalysisPipeline, MetricCatalogue) {
        let catalogue = MetricCatalogue(version: "test")
        let analyzer = ExchangeAnalyzer(
            catalogue: catalogue, labels: BoundedLabelValues(), defaultModel: nil, logger: Logger(label: "test"))
        let configuration = AnalysisConfiguration(queueCapacity: capacity, maxPayloadSize: 1024, memoryLimit: memoryLimit)
        return (AnalysisPipeline(configuration: configuration, analyzer: analyzer), catalogue)
    }

    static func value(_ catalogue: MetricCatalogue, _ line: String) -> String? {
        String(decoding: catalogue.exposition(), as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(line) }.map(String.init)
    }

    @Test("a full queue refuses, the drop is counted, and the refused observation's bytes are given back")
    func fullQueueDrops() {
        let (pipeline, catalogue) = Self.pipeline(capacity: 2)
        for _ in 0..<5 {
            #expect(pipeline.reserveCapture(bytes: 100))
            let slot = pipeline.exchangeBegan(method: "POST", target: "/v2/models/iris/infer")
            var observation = Self.observation(reserved: 100)
            observation.tag = slot
            pipeline.exchangeEnded(observation)
        }
        #expect(Self.value(catalogue, "modelwatch_observations_dropped_total{reason=\"queue_full\"}")?.hasSuffix(" 3") == true)
        // In flight went up five times and down five times, dropped or not.
        #expect(Self.value(catalogue, "modelwatch_requests_in_flight{model=\"iris\"}")?.hasSuffix(" 0.0") == true)
        // Two observations still hold their bytes until analysed; the three dropped gave theirs back.
        #expect(pipeline.reserveCapture(bytes: (1 << 20) - 200))
        #expect(!pipeline.reserveCapture(bytes: 1))
    }

    @Test("the memory budget refuses bytes over the limit and takes them again once released")
    func memoryBudget() {
        let queue = ObservationQueue(capacity: 10, memoryLimit: 1000)
        #expect(queue.reserve(bytes: 600))
        #expect(!queue.reserve(bytes: 500))
        #expect(queue.bytesHeld == 600)
        queue.release(bytes: 600)
        #expect(queue.reserve(bytes: 1000))
    }

    @Test("the consumer gets everything queued in one batch, then what remains after close, then nil")
    func consumerBatches() async {
        let queue = ObservationQueue(capacity: 10, memoryLimit: 1000)
        #expect(queue.offer(Self.observation("/a")))
        #expect(queue.offer(Self.observation("/b")))
        let first = await queue.next()
        #expect(first?.map(\.target) == ["/a", "/b"])
        #expect(queue.offer(Self.observation("/c")))
        queue.close()
        #expect(!queue.offer(Self.observation("/d")))
        let rest = await queue.next()
        #expect(rest?.map(\.target) == ["/c"])
        let end = await queue.next()
        #expect(end == nil)
    }

    @Test("a waiting consumer is woken by the next offer")
    func wakesConsumer() async {
        let queue = ObservationQueue(capacity: 10, memoryLimit: 1000)
        async let batch = queue.next()
        try? await Task.sleep(for: .milliseconds(20))
        #expect(queue.offer(Self.observation("/late")))
        #expect(await batch?.map(\.target) == ["/late"])
    }

    @Test("analysis: a decoded exchange lands in every series it touches")
    func analyzerRecords() {
        let catalogue = MetricCatalogue(version: "test")
        let analyzer = ExchangeAnalyzer(
            catalogue: catalogue, labels: BoundedLabelValues(), defaultModel: nil, logger: Logger(label: "test"))
        var observation = Self.observation()
        let request = #"{"inputs":[{"name":"x","shape":[2,1],"datatype":"FP32","data":[1,2]}]}"#
        observation.requestBody = CapturedBody(Array(request.utf8))
        observation.responseBody = CapturedBody(Array(#"{"model_name":"iris","model_version":"3","outputs":[]}"#.utf8))
        observation.requestHeaders = [("Content-Type", "application/json")]
        observation.duration = .milliseconds(12)
        observation.upstream = UpstreamTimings(firstByte: .milliseconds(9), total: .milliseconds(10))
        let decoded = analyzer.analyze(observation)
        #expect(decoded.predictions == 2)
        let labels = #"{model="iris",version="3",protocol="v2",endpoint="infer"}"#
        #expect(Self.value(catalogue, "modelwatch_predictions_total{model=\"iris\",version=\"3\"}")?.hasSuffix(" 2") == true)
        #expect(
            Self.value(catalogue, "modelwatch_overhead_seconds_sum\(labels)").map { $0.hasPrefix("modelwatch_overhead_seconds_sum") }
                == true)
        let overhead = Self.value(catalogue, "modelwatch_overhead_seconds_sum\(labels)")?.split(separator: " ").last.flatMap { Double($0) }
        #expect(overhead.map { abs($0 - 0.002) < 1e-9 } == true)
        #expect(
            Self.value(
                catalogue,
                #"modelwatch_requests_total{model="iris",version="3",protocol="v2",endpoint="infer",code="200",source="backend"}"#)
                != nil)
    }
}

@Suite("Analysis pipeline lifecycle", .timeLimit(.minutes(1)))
struct AnalysisPipelineLifecycleTests {
    @Test("cancelling the pipeline's task ends it even with nothing queued (another service failed)")
    func cancellationEndsConsumer() async throws {
        let (pipeline, _) = AnalysisPipelineTests.pipeline(capacity: 4)
        let task = Task { try await pipeline.run() }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        // Without the cancellation handler this await never returns and the test hits its time limit.
        try await task.value
    }
}
