import Foundation
import Logging
import ModelWatchMetrics
import ModelWatchProtocols
import ModelWatchProxy
import ModelWatchReference
import ModelWatchStore
import Synchronization
import Testing

@testable import ModelWatch

/// Shadowing against a real reference model in-process: the `shadow` configuration and its
/// checks, the input mapping, and inference threads counting matches, mismatches and errors.
@Suite struct ShadowReferenceTests {
    /// A folder with the dense model (X [N, 3] → Y = relu(X·W + B), [N, 2]) and a configuration.
    static func folder(configuration: String) throws -> (folder: URL, configuration: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-shadow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(ModelReaderTests.dense().bytes).write(to: folder.appendingPathComponent("dense.onnx"))
        let path = folder.appendingPathComponent("modelwatch.yaml").path
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: path))
        return (folder, path)
    }

    static func load(_ text: String) throws -> ModelWatchConfiguration {
        let (folder, path) = try Self.folder(configuration: text)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try ConfigurationLoader.load(path: path, overrides: ConfigurationOverrides(upstream: "http://127.0.0.1:1"))
    }

    static let valid = """
        storage:
          enabled: false
        shadow:
          models:
            dense:
              reference: dense.onnx
              sample: 0.5
              deterministic: true
              max_per_second: 20
              threads: 2
              redact: [ssn]
              inputs:
                X: {from: input-0, type: float, shape: [-1, 3]}
              outputs:
                Y: {backend: scores, compare: numeric, abs: 0.001}
            canary:
              url: http://127.0.0.1:8081
              outputs:
                predict: {backend: predict, compare: label}
        """

    @Test func readsAReferenceAndAURLShadowWithTheirMappings() throws {
        let configuration = try Self.load(Self.valid)
        let dense = try #require(configuration.shadow.models["dense"])
        guard case .reference(let path, let model) = dense.target else { throw ShadowTestFailure("not a reference") }
        #expect(path.hasSuffix("/dense.onnx"))
        #expect(model.inputs.map(\.name) == ["X"])
        #expect(dense.sample == 0.5)
        #expect(dense.deterministic)
        #expect(dense.maxPerSecond == 20)
        #expect(dense.threads == 2)
        #expect(dense.redact == ["ssn"])
        #expect(dense.inputs == [ShadowInputMapping(input: "X", source: "input-0", elementType: .float, shape: [-1, 3])])
        #expect(
            dense.outputs == [ShadowOutputPair(shadowOutput: "Y", backendOutput: "scores", comparison: .numeric(abs: 0.001, rel: 1e-4))])
        let canary = try #require(configuration.shadow.models["canary"])
        guard case .url(let url) = canary.target else { throw ShadowTestFailure("not a url") }
        #expect(url.port == 8081)
        #expect(canary.threads == 1)
        #expect(canary.sample == 1)
        #expect(canary.outputs == [ShadowOutputPair(shadowOutput: "predict", backendOutput: "predict", comparison: .label)])
    }

    @Test func aShorthandOutputTakesItsComparisonFromTheReferenceType() throws {
        let configuration = try Self.load(
            """
            storage: {enabled: false}
            shadow:
              models:
                dense: {reference: dense.onnx, outputs: {Y: output-0}}
            """)
        #expect(configuration.shadow.models["dense"]?.outputs.first?.comparison == .defaultNumeric)
    }

    @Test(
        "a bad shadow entry is refused with its file, line and key",
        arguments: [
            (
                "storage: {enabled: false}\nshadow:\n  models:\n    dense:\n      reference: missing.onnx\n      outputs: {Y: y}\n",
                "shadow.models.dense.reference", 5, "cannot load the reference model"
            ),
            (
                "storage: {enabled: false}\nshadow:\n  models:\n    dense:\n      reference: corrupt.onnx\n      outputs: {Y: y}\n",
                "shadow.models.dense.reference", 5, "corrupt.onnx: malformed"
            ),
            (
                "storage: {enabled: false}\nshadow:\n  models:\n    dense:\n      reference: dense.onnx\n      outputs: {Z: y}\n",
                "shadow.models.dense.outputs.Z", 6, "has no output \"Z\""
            ),
            (
                "storage: {enabled: false}\nshadow:\n  models:\n    dense:\n      reference: dense.onnx\n      inputs: {features: input-0}\n      outputs: {Y: y}\n",
                "shadow.models.dense.inputs.features", 6, "has no input \"features\""
            ),
            (
                "storage: {enabled: false}\nshadow:\n  models:\n    dense:\n      reference: dense.onnx\n", "shadow.models.dense.outputs",
                5, "reference outputs: Y"
            ),
            (
                "storage: {enabled: false}\nshadow:\n  models:\n    dense:\n      sample: 0.1\n", "shadow.models.dense", 5,
                "a reference (an .onnx file) or a url"
            ),
            (
                "storage: {enabled: false}\nshadow:\n  models:\n    dense:\n      url: http://127.0.0.1:9\n      sample: 1.5\n",
                "shadow.models.dense.sample", 6, "from 0.0 to 1.0"
            ),
            (
                "storage: {enabled: false}\nshadow:\n  models:\n    dense:\n      url: http://127.0.0.1:9\n      outputs: {y: {backend: y, compare: closest}}\n",
                "shadow.models.dense.outputs.y.compare", 6, "expected label, argmax or numeric"
            ),
            (
                "storage: {enabled: false}\nshadow:\n  models:\n    dense:\n      url: http://127.0.0.1:9\n      threads: 0\n",
                "shadow.models.dense.threads", 6, "from 1 to 64"
            ),
            (
                "storage: {enabled: false}\nshadow:\n  models:\n    dense:\n      url: http://127.0.0.1:9\n      sampel: 1\n",
                "shadow.models.dense.sampel", 6, "unknown key"
            ),
            (
                "storage: {enabled: false}\nanalysis: {enabled: false}\nshadow:\n  models:\n    dense:\n      url: http://127.0.0.1:9\n",
                "shadow.models", 4, "turn analysis.enabled on"
            ),
        ])
    func refusesBadEntries(text: String, key: String, line: Int, message: String) throws {
        let (folder, path) = try Self.folder(configuration: text)
        defer { try? FileManager.default.removeItem(at: folder) }
        // A corrupt reference file: the start of a real model, cut short.
        try Data(ModelReaderTests.dense().bytes.prefix(40)).write(to: folder.appendingPathComponent("corrupt.onnx"))
        do {
            _ = try ConfigurationLoader.load(path: path, overrides: ConfigurationOverrides(upstream: "http://127.0.0.1:1"))
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.source == path)
            #expect(error.key == key)
            #expect(error.line == line)
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func feedsConvertTypesAndInferTheFreeDimension() throws {
        let model = try ReferenceModel(bytes: ModelReaderTests.dense().bytes)
        let request = DecodedPayload(
            tensors: [ModelWatchProtocols.Tensor(name: "input-0", datatype: "FP64", shape: [6], values: .numbers([1, 2, 3, 4, 5, 6]))],
            batchSize: 1)
        // No mapping: the only input takes the only tensor, float as declared, [N, 3] from six values.
        let feeds = try ReferenceFeeds(model: model, mappings: []).feeds(from: request)
        #expect(feeds["X"] == (try ModelWatchReference.Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])))
        let configured = ReferenceFeeds(model: model, mappings: [ShadowInputMapping(input: "X", source: "input-0", shape: [3, -1])])
        #expect(try configured.feeds(from: request)["X"]?.shape == [3, 2])
        let missing = ReferenceFeeds(model: model, mappings: [ShadowInputMapping(input: "X", source: "features")])
        #expect(throws: ReferenceFeeds.Failure.self) {
            _ = try missing.feeds(from: DecodedPayload(tensors: [request.tensors[0], request.tensors[0]], batchSize: 1))
        }
        let integers = ReferenceFeeds(model: model, mappings: [ShadowInputMapping(input: "X", source: "input-0", elementType: .int64)])
        let fractional = DecodedPayload(
            tensors: [ModelWatchProtocols.Tensor(name: "input-0", datatype: "FP64", shape: [1, 3], values: .numbers([1, 2.5, 3]))],
            batchSize: 1)
        do {
            _ = try integers.feeds(from: fractional)
            Issue.record("2.5 became an integer")
        } catch {
            #expect(error.reason == .inputType)
        }
        let five = DecodedPayload(
            tensors: [ModelWatchProtocols.Tensor(name: "input-0", datatype: "FP64", shape: [5], values: .numbers([1, 2, 3, 4, 5]))],
            batchSize: 1)
        do {
            _ = try ReferenceFeeds(model: model, mappings: []).feeds(from: five)
            Issue.record("five values filled [N, 3]")
        } catch {
            #expect(error.reason == .inputShape)
        }
    }

    /// A job as the analysis pipeline would offer it: the request's rows and the backend's scores.
    static func job(rows: [[Double]], scores: [[Double]]) -> ShadowJob {
        let request = DecodedPayload(
            tensors: [
                ModelWatchProtocols.Tensor(
                    name: "input-0", datatype: "FP32", shape: [rows.count, rows.first?.count ?? 0], values: .numbers(rows.flatMap { $0 }))
            ],
            batchSize: rows.count)
        let response = DecodedPayload(
            tensors: [
                ModelWatchProtocols.Tensor(
                    name: "scores", datatype: "FP32", shape: [scores.count, 2], values: .numbers(scores.flatMap { $0 }))
            ],
            batchSize: scores.count)
        return ShadowJob(
            model: "dense", version: "v1", method: "POST", target: "/v2/models/dense/infer", requestContentType: "application/json",
            requestBody: Array("{\"rows\": \(rows), \"ssn\": \"123\"}".utf8), responseBody: Array("{\"scores\": \(scores)}".utf8),
            request: request, response: response)
    }

    @Test func inferenceThreadsCountMatchesMismatchesAndReferenceFailures() async throws {
        let model = try ReferenceModel(bytes: ModelReaderTests.dense().bytes)
        let catalogue = MetricCatalogue(version: "test")
        let kept = Mutex<[ShadowMismatchCandidate]>([])
        let runner = ShadowRunner(
            model: "dense",
            configuration: ShadowModelConfiguration(
                target: .reference(path: "dense.onnx", model: model), threads: 2, queueCapacity: 100,
                outputs: [ShadowOutputPair(shadowOutput: "Y", backendOutput: "scores", comparison: .numeric(abs: 1e-5, rel: 0))]),
            metrics: catalogue.shadowMetrics(), client: nil, logger: Logger(label: "test")
        ) { candidate in kept.withLock { $0.append(candidate) } }
        runner.start()
        // relu([1, 2, 3]·W + B) = [4.5, 0]: 30 right answers, 5 wrong ones, 3 requests of the wrong width.
        for _ in 0..<30 { runner.offer(Self.job(rows: [[1, 2, 3]], scores: [[4.5, 0]]), body: []) }
        for _ in 0..<5 { runner.offer(Self.job(rows: [[1, 2, 3]], scores: [[4.6, 0]]), body: []) }
        for _ in 0..<3 { runner.offer(Self.job(rows: [[1, 2, 3, 4]], scores: [[4.5, 0]]), body: []) }
        await runner.stop()
        let text = String(decoding: catalogue.exposition(), as: UTF8.self)
        #expect(text.contains(#"modelwatch_shadow_comparisons_total{model="dense",version="v1",result="match"} 30"#))
        #expect(text.contains(#"modelwatch_shadow_comparisons_total{model="dense",version="v1",result="mismatch"} 5"#))
        #expect(text.contains(#"modelwatch_shadow_comparisons_total{model="dense",version="v1",result="error"} 3"#))
        #expect(text.contains(#"modelwatch_shadow_errors_total{model="dense",reason="input_shape"} 3"#))
        #expect(text.contains(#"modelwatch_shadow_abs_error_count{model="dense",output="scores"} 35"#))
        #expect(text.contains(#"modelwatch_reference_inference_seconds_count{model="dense"} 35"#))
        let candidates = kept.withLock { $0 }
        #expect(candidates.count == 5)
        let record = try #require(candidates.first).record(redacting: ["ssn"], at: 1_000)
        #expect(record.outputs == "scores")
        #expect(record.differences.contains(#""backend":"[4.6, 0]""#), "\(record.differences)")
        #expect(record.differences.contains(#""shadow":"[4.5, 0]""#), "\(record.differences)")
        #expect(String(decoding: record.request, as: UTF8.self).contains(#""ssn":"[redacted]""#))
        #expect(!String(decoding: record.request, as: UTF8.self).contains("123"))
        #expect(String(decoding: record.shadowAnswer, as: UTF8.self) == #"{"Y":[4.5,0.0]}"#)
    }

    @Test func aFullQueueSkipsAndCountsInsteadOfWaiting() async throws {
        let model = try ReferenceModel(bytes: ModelReaderTests.dense().bytes)
        let catalogue = MetricCatalogue(version: "test")
        let runner = ShadowRunner(
            model: "dense",
            configuration: ShadowModelConfiguration(
                target: .reference(path: "dense.onnx", model: model), queueCapacity: 4,
                outputs: [ShadowOutputPair(shadowOutput: "Y", backendOutput: "scores", comparison: .defaultNumeric)]),
            metrics: catalogue.shadowMetrics(), client: nil, logger: Logger(label: "test")
        ) { _ in }
        // Not started yet: nothing takes jobs, so the fifth and later are refused at once.
        for _ in 0..<10 { runner.offer(Self.job(rows: [[1, 2, 3]], scores: [[4.5, 0]]), body: []) }
        runner.start()
        await runner.stop()
        let text = String(decoding: catalogue.exposition(), as: UTF8.self)
        #expect(text.contains(#"modelwatch_shadow_skipped_total{model="dense",reason="queue_full"} 6"#))
        #expect(text.contains(#"modelwatch_shadow_comparisons_total{model="dense",version="v1",result="match"} 4"#))
    }
}

struct ShadowTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
