import Foundation
import ModelWatchReference
import Testing

/// scikit-learn models converted with skl2onnx, run by the interpreter and by onnxruntime on the
/// same 1,000 rows: labels identical, scores within 1e-5 × max(1, max |value|) of onnxruntime's.
@Suite struct ScikitLearnOracleTests {
    @Test func modelsMatchOnnxRuntime() async throws {
        if let reason = ReferenceOracle.unavailableReason {
            try #require(!ReferenceOracle.required, "CI=true and \(reason)")
            print("ScikitLearnOracleTests skipped: \(reason)")
            return
        }
        let folder = try await ReferenceOracle.cases().appendingPathComponent("sklearn")
        var covered = Set<String>()
        var compared = 0
        for entry in try ReferenceOracle.manifest(folder) {
            let name = try #require(entry["name"] as? String)
            let inputName = try #require(entry["input"] as? String)
            let outputs = try #require(entry["outputs"] as? [[String: Any]])
            let directory = folder.appendingPathComponent(name)
            let model: ReferenceModel
            do {
                model = try ReferenceModel(bytes: try ReferenceOracle.bytes(directory.appendingPathComponent("model.onnx")))
            } catch {
                Issue.record("\(name): load failed: \(error)")
                continue
            }
            covered.formUnion(model.operatorCounts.keys)
            let input = try Tensor(protobuf: try ReferenceOracle.bytes(directory.appendingPathComponent("input.pb")))
            var session = model.makeSession()
            let results: [String: Value]
            do {
                results = try session.run([inputName: .tensor(input)])
            } catch {
                Issue.record("\(name): run failed: \(error)")
                continue
            }
            // The same session after a run of a few rows: the same answers, and the first ones unchanged.
            let copy = results.mapValues(Self.elements)
            do {
                _ = try session.run([inputName: .tensor(try Self.firstRows(of: input, 3))])
                let again = try session.run([inputName: .tensor(input)])
                #expect(again.mapValues(Self.elements) == copy, "\(name): a reused session answers differently")
            } catch {
                Issue.record("\(name): a second run failed: \(error)")
            }
            #expect(results.mapValues(Self.elements) == copy, "\(name): a result changed when the session ran again")
            var report: [String] = []
            for (index, output) in outputs.enumerated() {
                let outputName = try #require(output["name"] as? String)
                let expected = try Tensor(protobuf: try ReferenceOracle.bytes(directory.appendingPathComponent("output_\(index).pb")))
                guard let value = results[outputName] else {
                    Issue.record("\(name): output \(outputName) missing")
                    continue
                }
                let actual: Tensor
                switch value {
                case .tensor(let tensor): actual = tensor
                case .maps(let maps):
                    let keys = output["keys"] as? [String] ?? []
                    #expect(maps.keys.strings == keys, "\(name): ZipMap keys \(maps.keys.strings), expected \(keys)")
                    actual = try Tensor(shape: [maps.count, maps.keys.count], floats: maps.values)
                }
                switch expected.storage {
                case .float, .double:
                    let (error, tolerance) = TensorComparison.scoreError(actual.doubleValues ?? [], expected.doubleValues ?? [])
                    #expect(actual.count == expected.count, "\(name).\(outputName): \(actual.shape) vs \(expected.shape)")
                    #expect(error <= tolerance, "\(name).\(outputName): max error \(error) > \(tolerance)")
                    report.append("\(outputName) max error \(error)")
                default:
                    let mismatches = zip(actual.stringValues, expected.stringValues).filter { $0 != $1 }.count
                    #expect(actual.count == expected.count && mismatches == 0, "\(name).\(outputName): \(mismatches) labels differ")
                    report.append("\(outputName) \(mismatches) label mismatches")
                }
            }
            compared += 1
            print("sklearn \(name): \(report.joined(separator: ", "))")
        }
        #expect(compared >= 25)
        let missing = NodeBackendTests.coveredByScikitLearnCases.subtracting(covered)
        #expect(missing.isEmpty, "operators the scikit-learn cases should cover but do not: \(missing.sorted())")
    }

    /// A value's elements as text, copied, so that a later change to its storage would show.
    static func elements(_ value: Value) -> [String] {
        switch value {
        case .tensor(let tensor): return tensor.stringValues
        case .maps(let maps): return maps.values.map { "\($0)" }
        }
    }

    /// The first `count` rows of a tensor of rank 2 or more.
    static func firstRows(of tensor: Tensor, _ count: Int) throws -> Tensor {
        let rows = Swift.min(count, tensor.shape.first ?? 0)
        let width = tensor.shape.dropFirst().reduce(1, *)
        let storage: Tensor.Storage
        switch tensor.storage {
        case .float(let values): storage = .float(Array(values.prefix(rows * width)))
        case .double(let values): storage = .double(Array(values.prefix(rows * width)))
        case .int32(let values): storage = .int32(Array(values.prefix(rows * width)))
        case .int64(let values): storage = .int64(Array(values.prefix(rows * width)))
        case .bool(let values): storage = .bool(Array(values.prefix(rows * width)))
        case .string(let values): storage = .string(Array(values.prefix(rows * width)))
        }
        return try Tensor(shape: [rows] + tensor.shape.dropFirst(), storage: storage)
    }
}
