import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Shadow comparison against real model servers: MLServer against the skl2onnx conversion of its
/// own model, an int8 model on KServe against its FP32 reference, and two MLServer versions.
@Suite("Shadow comparison with real model servers", .serialized, .timeLimit(.minutes(10)))
struct ShadowTests {
    /// One Open Inference Protocol request for a row, asking for the outputs named; `id` names the row.
    static func inferBody(_ row: [Double], id: Int, outputs: [String]) -> String {
        let data = row.map { "\($0)" }.joined(separator: ",")
        let wanted = outputs.map { #"{"name":"\#($0)"}"# }.joined(separator: ",")
        return
            #"{"id":"row-\#(id)","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64","data":[\#(data)]}],"outputs":[\#(wanted)]}"#
    }

    static func post(_ port: Int, _ path: String, _ body: String) async throws -> TestResponse {
        try await TestClient.send(
            port: port, method: .POST, path: path, headers: ["content-type": "application/json"], body: ByteBuffer(string: body))
    }

    static func comparisons(_ scrape: MetricsScrape, _ model: String) -> (match: Double, mismatch: Double, error: Double) {
        (
            scrape.value("modelwatch_shadow_comparisons_total", ["model": model, "result": "match"]),
            scrape.value("modelwatch_shadow_comparisons_total", ["model": model, "result": "mismatch"]),
            scrape.value("modelwatch_shadow_comparisons_total", ["model": model, "result": "error"])
        )
    }

    /// The sidecar's metrics once `count` comparisons have ended, however they ended.
    static func compared(_ count: Int, model: String, by sidecar: ModelWatchProcess) async throws -> MetricsScrape {
        try await sidecar.scrape(
            until: { scrape in
                let counted = Self.comparisons(scrape, model)
                return counted.match + counted.mismatch + counted.error >= Double(count)
            }, timeout: .seconds(60))
    }

    @Test("MLServer's scikit-learn model against its skl2onnx conversion: every request compared, at least 99.9% agree")
    func referenceAgreesWithMLServer() async throws {
        let folder = try await ShadowModels.sklearn()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows = try #require(try ShadowModels.json(folder, "rows.json") as? [[Double]])
        let mlserver = try await ShadowModels.startMLServer(folder, variant: "v1")
        try await withModelServer(mlserver) { mlserver in
            let sections = """
                shadow:
                  models:
                    iris:
                      reference: \(folder.appendingPathComponent("iris.onnx").path)
                      queue_capacity: 2000
                      inputs:
                        X: input-0
                      outputs:
                        label: predict
                        probabilities: {backend: predict_proba, compare: numeric, abs: 1e-5, rel: 1e-4}

                """
            let sidecar = try await ModelWatchProcess.start(upstream: "http://127.0.0.1:\(mlserver.httpPort)", sections: sections)
            for (index, row) in rows.enumerated() {
                let response = try await Self.post(
                    sidecar.dataPort, "/v2/models/iris/infer", Self.inferBody(row, id: index, outputs: ["predict", "predict_proba"]))
                #expect(response.status == 200, "\(response.text)")
            }
            let scrape = try await Self.compared(rows.count, model: "iris", by: sidecar)
            await sidecar.stop()
            let counted = Self.comparisons(scrape, "iris")
            #expect(counted.error == 0, "\(scrape.text)")
            #expect(counted.match + counted.mismatch == Double(rows.count))
            #expect(counted.match / Double(rows.count) >= 0.999, "\(counted)")
            // Probabilities computed in float32 by the reference and float64 by scikit-learn differ
            // by float32 rounding, far inside the tolerance.
            #expect(scrape.value("modelwatch_shadow_abs_error_count", ["model": "iris", "output": "predict_proba"]) == Double(rows.count))
            #expect(scrape.value("modelwatch_shadow_abs_error_bucket", ["model": "iris", "output": "predict_proba", "le": "1e-05"]) >= 999)

            let report = try await ModelWatchProcess.run(["shadow", "--db", sidecar.storagePath, "--model", "iris", "--mismatches", "10"])
            #expect(report.status == 0, "\(report.output)")
            #expect(
                report.output.contains(
                    "comparisons: \(rows.count) (match \(Int(counted.match)), mismatch \(Int(counted.mismatch)), error 0)"),
                "\(report.output)")
            #expect(report.output.contains("predict_proba: "), "\(report.output)")
            // Whatever disagreed is shown with both answers: a near tie that float32 tipped.
            #expect(report.output.components(separatedBy: "backend answered: ").count - 1 == Int(counted.mismatch), "\(report.output)")
            print(report.output)
        }
    }

    @Test("two real MLServer versions, the second a URL shadow: mismatches counted exactly and both answers kept")
    func twoVersionsCompared() async throws {
        let folder = try await ShadowModels.sklearn()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows = try #require(try ShadowModels.json(folder, "rows.json") as? [[Double]])
        let v1 = try await ShadowModels.startMLServer(folder, variant: "v1")
        try await withModelServer(v1) { v1 in
            let v2 = try await ShadowModels.startMLServer(folder, variant: "v2")
            try await withModelServer(v2) { v2 in
                let expected = try #require(
                    (try ShadowModels.json(folder, "expected-v2.json") as? [String: Any])?["differing_rows"] as? [Int])
                #expect(!expected.isEmpty && expected.count < rows.count / 2)
                let sections = """
                    shadow:
                      models:
                        iris:
                          url: http://127.0.0.1:\(v2.httpPort)
                          queue_capacity: 2000
                          threads: 2
                          max_mismatches_per_hour: 2000
                          outputs:
                            predict: {backend: predict, compare: label}

                    """
                let sidecar = try await ModelWatchProcess.start(upstream: "http://127.0.0.1:\(v1.httpPort)", sections: sections)
                for (index, row) in rows.enumerated() {
                    let response = try await Self.post(
                        sidecar.dataPort, "/v2/models/iris/infer", Self.inferBody(row, id: index, outputs: ["predict"]))
                    #expect(response.status == 200)
                }
                let scrape = try await Self.compared(rows.count, model: "iris", by: sidecar)
                await sidecar.stop()
                let counted = Self.comparisons(scrape, "iris")
                #expect(counted.error == 0, "\(scrape.text)")
                #expect(counted.mismatch == Double(expected.count))
                #expect(counted.match == Double(rows.count - expected.count))

                let report = try await ModelWatchProcess.run(
                    ["shadow", "--db", sidecar.storagePath, "--model", "iris", "--mismatches", "\(rows.count)"])
                #expect(report.status == 0, "\(report.output)")
                // Every disagreeing row is kept, with the request that names it and both answers.
                let kept = report.output.components(separatedBy: "\n").filter { $0.hasPrefix("    request: ") }
                let ids = Set(
                    kept.compactMap { line in line.range(of: #"row-\d+"#, options: .regularExpression).map { Int(line[$0].dropFirst(4))! } }
                )
                #expect(ids == Set(expected), "\(report.output.prefix(2000))")
                let backendAnswers = report.output.components(separatedBy: "\n").filter { $0.hasPrefix("    backend answered: ") }
                let shadowAnswers = report.output.components(separatedBy: "\n").filter { $0.hasPrefix("    shadow answered: ") }
                #expect(backendAnswers.count == expected.count && backendAnswers.allSatisfy { $0.contains(#""model_version":"v1""#) })
                #expect(shadowAnswers.count == expected.count && shadowAnswers.allSatisfy { $0.contains(#""model_version":"v2""#) })
            }
        }
    }

    @Test("an int8 model on KServe against its FP32 reference: mismatches and error percentiles equal the offline comparison")
    func quantizedAgainstReference() async throws {
        let folder = try await ShadowModels.quantized()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows = try #require(try ShadowModels.json(folder, "mlp-rows.json") as? [[Double]])
        let offline = try #require(try ShadowModels.json(folder, "mlp-offline.json") as? [String: Any])
        let onnxruntimeReference = try #require(offline["reference"] as? [Double])
        let quantized = try #require(offline["quantized"] as? [Double])
        // The sidecar compares against its own interpreter's FP32 answers, which differ from
        // onnxruntime's in their last bits (summation order, and onnxruntime's kernels change with
        // the CPU: up to 9e-7 here on an AVX-512 machine). An error that close to a bucket bound
        // or the tolerance would land on either side, so the offline comparison uses the
        // interpreter's answers, held to onnxruntime's by the oracle tests' bound.
        let reference = try await Self.interpreterAnswers(folder.appendingPathComponent("mlp.onnx"), rows: rows, output: "variable")
        #expect(reference.count == onnxruntimeReference.count)
        for (mine, theirs) in zip(reference, onnxruntimeReference) {
            #expect(abs(mine - theirs) <= 1e-5 * max(1, abs(theirs)), "interpreter \(mine), onnxruntime \(theirs)")
        }
        let (absolute, relative) = (0.01, 0.01)
        let server = try await ShadowModels.startKServe(folder.appendingPathComponent("mlp-int8.onnx"), name: "mlp")
        try await withModelServer(server) { server in
            let sections = """
                shadow:
                  models:
                    mlp:
                      reference: \(folder.appendingPathComponent("mlp.onnx").path)
                      queue_capacity: 1000
                      inputs:
                        X: instances
                      outputs:
                        variable: {backend: predictions, compare: numeric, abs: \(absolute), rel: \(relative)}

                """
            let sidecar = try await ModelWatchProcess.start(upstream: "http://127.0.0.1:\(server.httpPort)", sections: sections)
            for row in rows {
                let body = #"{"instances":[[\#(row.map { "\($0)" }.joined(separator: ","))]]}"#
                let response = try await Self.post(sidecar.dataPort, "/v1/models/mlp:predict", body)
                #expect(response.status == 200, "\(response.text)")
            }
            let scrape = try await Self.compared(rows.count, model: "mlp", by: sidecar)
            await sidecar.stop()
            // The offline comparison: onnxruntime's FP32 and int8 answers for the same rows.
            let errors = zip(quantized, reference).map { abs($0 - $1) }
            let mismatches = zip(quantized, reference).filter { abs($0 - $1) > absolute + relative * abs($1) }.count
            let counted = Self.comparisons(scrape, "mlp")
            #expect(counted.error == 0, "\(scrape.text)")
            #expect(counted.mismatch == Double(mismatches), "offline \(mismatches) of \(rows.count)")
            #expect(counted.match == Double(rows.count - mismatches))
            // The error distribution, bucket by bucket, is the offline one, so every percentile is.
            let buckets = scrape.samples.filter {
                $0.name == "modelwatch_shadow_abs_error_bucket" && $0.labels["model"] == "mlp" && $0.labels["output"] == "predictions"
            }
            #expect(buckets.count > 10)
            for bucket in buckets {
                let bound = bucket.labels["le"] == "+Inf" ? Double.infinity : Double(bucket.labels["le"] ?? "") ?? .nan
                #expect(bucket.value == Double(errors.filter { $0 <= bound }.count), "le=\(bucket.labels["le"] ?? "")")
            }
            let report = try await ModelWatchProcess.run(["shadow", "--db", sidecar.storagePath, "--model", "mlp"])
            #expect(
                report.output.contains("comparisons: \(rows.count) (match \(rows.count - mismatches), mismatch \(mismatches), error 0)"),
                "\(report.output)")
            #expect(report.output.contains("absolute error per output"), "\(report.output)")
            print(report.output)
        }
    }

    /// The reference interpreter's answers for `rows`, from `modelwatch reference run`: the
    /// model's one input is `X`, `output` a single value per row, each exactly the FP32 number the
    /// sidecar compares.
    static func interpreterAnswers(_ model: URL, rows: [[Double]], output: String) async throws -> [Double] {
        let input = model.deletingLastPathComponent().appendingPathComponent("rows.jsonl")
        let lines = rows.map { row in #"{"X":[\#(row.map { "\($0)" }.joined(separator: ","))]}"# }
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let run = try await ModelWatchProcess.run(["reference", "run", model.path, "--input", input.path])
        #expect(run.status == 0, "\(run.output)")
        return try run.output.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let value = try #require((object[output] as? NSNumber)?.doubleValue, "\(line)")
            // Printed as the shortest text that reads back as the same Float.
            return Double(Float(value))
        }
    }
}

/// What goes wrong on the shadow path is counted and bounded, and the proxy keeps answering.
@Suite("Shadow comparison faults", .serialized, .timeLimit(.minutes(10)))
struct ShadowFaultTests {
    static func send(_ sidecar: ModelWatchProcess, rows: [[Double]], batch: Int = 1) async throws -> [Int] {
        var statuses: [Int] = []
        for start in stride(from: 0, to: rows.count, by: batch) {
            let chunk = rows[start..<min(rows.count, start + batch)]
            let data = chunk.flatMap { $0 }.map { "\($0)" }.joined(separator: ",")
            let body = #"{"inputs":[{"name":"input-0","shape":[\#(chunk.count),4],"datatype":"FP64","data":[\#(data)]}]}"#
            statuses.append(try await ShadowTests.post(sidecar.dataPort, "/v2/models/iris/infer", body).status)
        }
        return statuses
    }

    @Test("a reference that fails on some inputs, a shadow backend that is down, one that hangs with a full queue")
    func faultsAreCountedAndBounded() async throws {
        let folder = try await ShadowModels.sklearn()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows = Array(try #require(try ShadowModels.json(folder, "rows.json") as? [[Double]]).prefix(40))
        let mlserver = try await ShadowModels.startMLServer(folder, variant: "v1")
        try await withModelServer(mlserver) { mlserver in
            let upstream = "http://127.0.0.1:\(mlserver.httpPort)"
            // A reference whose input is fixed at one row: every two-row request makes the interpreter throw.
            let failing = try await ModelWatchProcess.start(
                upstream: upstream,
                sections: """
                    shadow:
                      models:
                        iris:
                          reference: \(folder.appendingPathComponent("iris-one-row.onnx").path)
                          inputs: {X: {from: input-0, shape: [-1, 4]}}
                          outputs: {label: predict}

                    """)
            var statuses = try await Self.send(failing, rows: Array(rows[0..<20]))
            statuses += try await Self.send(failing, rows: Array(rows[20..<40]), batch: 2)
            let afterFailures = try await ShadowTests.compared(30, model: "iris", by: failing)
            await failing.stop()
            #expect(statuses == Array(repeating: 200, count: 30))
            #expect(ShadowTests.comparisons(afterFailures, "iris") == (20, 0, 10))
            #expect(afterFailures.value("modelwatch_shadow_errors_total", ["model": "iris", "reason": "invalid_input"]) == 10)

            // A shadow backend nobody listens on.
            let closed = try await freePort()
            let down = try await ModelWatchProcess.start(
                upstream: upstream, sections: "shadow:\n  models:\n    iris:\n      url: http://127.0.0.1:\(closed)\n")
            statuses = try await Self.send(down, rows: Array(rows[0..<20]))
            let afterDown = try await ShadowTests.compared(20, model: "iris", by: down)
            await down.stop()
            #expect(statuses == Array(repeating: 200, count: 20))
            #expect(ShadowTests.comparisons(afterDown, "iris") == (0, 0, 20))
            #expect(afterDown.value("modelwatch_shadow_errors_total", ["model": "iris", "reason": "shadow_connect"]) == 20)

            // A shadow backend that never answers, one thread, room for two: the rest is skipped.
            let backend = try await TestBackend.start()
            let hanging = try await ModelWatchProcess.start(
                upstream: upstream,
                sections: """
                    shadow:
                      models:
                        iris:
                          url: http://127.0.0.1:\(backend.port)/hang
                          timeout: 2s
                          queue_capacity: 2

                    """)
            statuses = try await Self.send(hanging, rows: Array(rows[0..<30]))
            #expect(statuses == Array(repeating: 200, count: 30))
            let afterHang = try await hanging.scrape(
                until: { scrape in
                    let counted = ShadowTests.comparisons(scrape, "iris")
                    return counted.error + scrape.value("modelwatch_shadow_skipped_total", ["model": "iris", "reason": "queue_full"]) >= 30
                }, timeout: .seconds(60))
            await hanging.stop()
            await backend.shutdown()
            let skipped = afterHang.value("modelwatch_shadow_skipped_total", ["model": "iris", "reason": "queue_full"])
            let timedOut = afterHang.value("modelwatch_shadow_errors_total", ["model": "iris", "reason": "shadow_timeout"])
            // At most one in flight and two queued ever reached the hanging backend.
            #expect(skipped >= 27 && skipped + timedOut == 30, "skipped \(skipped), timed out \(timedOut)")
            #expect(afterHang.value("modelwatch_requests_total", ["model": "iris", "code": "200"]) == 30)
        }
    }
}
