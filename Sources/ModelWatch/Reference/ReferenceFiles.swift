import Foundation
import ModelWatchReference

/// What `modelwatch reference inspect` and `modelwatch reference run` do: describe a reference
/// model, and run it on rows from a JSON-lines or CSV file, printing one JSON object per row.
public enum ReferenceFiles {
    /// A human-readable description of a model: producer, opsets, inputs, outputs and operators.
    /// - Throws: the interpreter's `ReferenceError` when the model cannot be loaded.
    public static func inspect(path: String) throws -> String {
        let model = try ReferenceModel(contentsOf: path)
        var lines = ["model: \(path)", "producer: \(model.producer.isEmpty ? "unknown" : model.producer)"]
        let opsets = model.opsets.sorted { $0.key < $1.key }.map { "\($0.key.isEmpty ? "ai.onnx" : $0.key) \($0.value)" }
        lines.append("opsets: \(opsets.joined(separator: ", "))")
        lines.append("inputs:")
        for input in model.inputs { lines.append("  \(input.name): \(input.type.map(\.description) ?? "unknown")") }
        lines.append("outputs:")
        for output in model.outputs { lines.append("  \(output.name): \(output.type.map(\.description) ?? "unknown")") }
        lines.append("operators:")
        for (name, count) in model.operatorCounts.sorted(by: { $0.key < $1.key }) { lines.append("  \(name) × \(count)") }
        return lines.joined(separator: "\n")
    }

    /// Why a row file could not be used.
    public struct RowError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs the model on every row of `input` (`.csv` with a header, or JSON lines), calling `emit`
    /// with one JSON object per row that maps each output name to that row's values.
    /// - Throws: ``RowError`` for an unreadable or ill-formed row file (naming the line), or the
    ///   interpreter's error naming the row.
    public static func run(path: String, input: String, emit: (String) -> Void) throws {
        let model = try ReferenceModel(contentsOf: path)
        var session = model.makeSession()
        guard let text = try? String(contentsOfFile: input, encoding: .utf8) else { throw RowError(description: "cannot read \(input)") }
        let lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let rows: [[String: [Any?]]]
        if input.hasSuffix(".csv") {
            rows = try Self.csvRows(lines, model: model)
        } else {
            rows = try lines.enumerated().map { index, line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) as? [String: Any]
                else {
                    throw RowError(description: "\(input):\(index + 1): not a JSON object")
                }
                return object.mapValues { value in (value as? [Any])?.map { $0 is NSNull ? nil : $0 } ?? [value is NSNull ? nil : value] }
            }
        }
        for (index, row) in rows.enumerated() {
            var feeds: [String: Value] = [:]
            for info in model.inputs {
                guard let values = row[info.name] else {
                    throw RowError(description: "row \(index + 1): no value for input '\(info.name)'")
                }
                do {
                    feeds[info.name] = .tensor(try Self.tensor(values, for: info))
                } catch {
                    throw RowError(description: "row \(index + 1), input '\(info.name)': \(error)")
                }
            }
            let outputs: [String: Value]
            do { outputs = try session.run(feeds) } catch { throw RowError(description: "row \(index + 1): \(error)") }
            emit(Self.json(outputs, order: model.outputs.map(\.name)))
        }
    }

    /// CSV rows: a column per input name, or, for a model with one input, every column in order as its features.
    private static func csvRows(_ lines: [String], model: ReferenceModel) throws -> [[String: [Any?]]] {
        guard
            let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map({
                $0.trimmingCharacters(in: .whitespaces)
            })
        else { return [] }
        let names = Set(model.inputs.map(\.name))
        return try lines.dropFirst().enumerated().map { index, line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == header.count else {
                throw RowError(description: "CSV line \(index + 2) has \(cells.count) cells, the header \(header.count)")
            }
            let values: [Any?] = cells.map { cell in cell.isEmpty ? nil : (Double(cell).map { $0 as Any } ?? cell) }
            if header.allSatisfy({ names.contains($0) }) {
                return Dictionary(uniqueKeysWithValues: zip(header, values.map { [$0] }))
            }
            guard let only = model.inputs.first, model.inputs.count == 1 else {
                throw RowError(description: "CSV columns must be named after the model's inputs: \(names.sorted())")
            }
            return [only.name: values]
        }
    }

    /// A one-row tensor of the input's declared element type; `nil` (missing) reads as NaN.
    private static func tensor(_ values: [Any?], for info: ValueInfo) throws -> Tensor {
        var code: Int64 = 1
        var rank = 2
        if case .tensor(let declared, let shape)? = info.type {
            code = declared
            rank = shape?.count ?? 2
        }
        let shape = rank <= 1 ? [values.count] : [1, values.count] + [Int](repeating: 1, count: rank - 2)
        func number(_ value: Any?) throws -> Double {
            guard let value else { return .nan }
            if let number = value as? NSNumber { return number.doubleValue }
            if let text = value as? String, let number = Double(text) { return number }
            throw RowError(description: "'\(value)' is not a number")
        }
        switch code {
        case 1: return try Tensor(shape: shape, floats: values.map { Float(try number($0)) })
        case 11: return try Tensor(shape: shape, doubles: values.map { try number($0) })
        case 7:
            return try Tensor(
                shape: shape,
                int64s: values.map { value in
                    let double = try number(value)
                    guard let integer = Int64(exactly: double) else { throw RowError(description: "\(double) is not an integer") }
                    return integer
                })
        case 8: return try Tensor(shape: shape, strings: values.map { value in value.map { "\($0)" } ?? "" })
        default: throw RowError(description: "input type \(info.type.map(\.description) ?? "unknown") cannot be read from rows")
        }
    }

    /// One row's outputs as a JSON object in output order (NaN and infinities as null).
    static func json(_ outputs: [String: Value], order: [String]) -> String {
        func number(_ value: Double) -> String {
            guard value.isFinite else { return "null" }
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
        }
        func quoted(_ text: String) -> String {
            var result = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": result += "\\\""
                case "\\": result += "\\\\"
                case "\n": result += "\\n"
                case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
                default: result.unicodeScalars.append(scalar)
                }
            }
            return result + "\""
        }
        var fields: [String] = []
        for name in order {
            guard let value = outputs[name] else { continue }
            let rendered: String
            switch value {
            case .tensor(let tensor):
                let items: [String]
                switch tensor.storage {
                case .string(let values): items = values.map(quoted)
                case .bool(let values): items = values.map { $0 ? "true" : "false" }
                case .float(let values): items = values.map { $0.isFinite ? "\($0)" : "null" }
                default: items = (tensor.doubleValues ?? []).map(number)
                }
                rendered = items.count == 1 ? items[0] : "[" + items.joined(separator: ",") + "]"
            case .maps(let maps):
                let pairs = zip(maps.keys.strings, maps.values).map { "\(quoted($0)):\($1.isFinite ? "\($1)" : "null")" }
                rendered = "{" + pairs.joined(separator: ",") + "}"
            }
            fields.append("\(quoted(name)):\(rendered)")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
