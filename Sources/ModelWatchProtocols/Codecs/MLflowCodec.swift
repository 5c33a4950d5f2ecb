/// Decodes MLflow scoring-server bodies (`POST /invocations`, JSON).
///
/// Requests: `dataframe_split` (`columns` + row-major `data`), `dataframe_records` (one object per
/// row), or the tensor forms `instances` (rows) and `inputs` (columns or one unnamed tensor).
/// Each dataframe column becomes one tensor of shape `[rows]`. Responses: `predictions`, a list or
/// an object of named outputs (MLflow 2), or a bare list (older servers).
public struct MLflowCodec: Sendable {
    private let reader: JSONReader
    private let tensors: TFServingCodec

    public init(reader: JSONReader = JSONReader(allowNonFiniteLiterals: true)) {
        self.reader = reader
        self.tensors = TFServingCodec(reader: reader)
    }

    public func decodeRequest(_ body: [UInt8]) throws(PayloadDecodeFailure) -> DecodedPayload {
        let document = try NestedArray.document(body, reader: self.reader)
        if let split = document["dataframe_split"] {
            return try self.split(split)
        }
        if let records = document["dataframe_records"] {
            return try self.records(records)
        }
        if document["instances"] != nil || document["inputs"] != nil {
            // The tensor forms follow TF Serving's row and columnar conventions.
            return try self.tensors.decodeRequest(body)
        }
        throw PayloadDecodeFailure(.missingField, "none of dataframe_split, dataframe_records, instances, inputs")
    }

    public func decodeResponse(_ body: [UInt8]) throws(PayloadDecodeFailure) -> DecodedPayload {
        let document: JSONValue
        do {
            document = try self.reader.parse(body)
        } catch {
            throw PayloadDecodeFailure(.invalidJSON, error.description)
        }
        let predictions: JSONValue
        if case .object = document {
            guard let field = document["predictions"] else { throw PayloadDecodeFailure(.missingField, "no \"predictions\"") }
            predictions = field
        } else {
            predictions = document
        }
        if case .object(let outputs) = predictions {
            var tensors: [Tensor] = []
            for (name, output) in outputs {
                tensors.append(try Self.tensor(name: name, output, at: "predictions.\(name)"))
            }
            return DecodedPayload(tensors: tensors, batchSize: tensors.first?.shape.first)
        }
        let tensor = try Self.tensor(name: "predictions", predictions, at: "predictions")
        return DecodedPayload(tensors: [tensor], batchSize: tensor.shape.first)
    }

    private func split(_ frame: JSONValue) throws(PayloadDecodeFailure) -> DecodedPayload {
        guard case .object = frame else { throw PayloadDecodeFailure(.wrongType, "dataframe_split is not an object") }
        guard let rows = frame["data"]?.elements else { throw PayloadDecodeFailure(.missingField, "dataframe_split.data") }
        let columnNames: [String]
        if let columns = frame["columns"]?.elements {
            var names: [String] = []
            for column in columns {
                guard let name = column.stringValue else {
                    throw PayloadDecodeFailure(.wrongType, "dataframe_split.columns holds a non-string")
                }
                names.append(name)
            }
            columnNames = names
        } else {
            columnNames = (0..<(rows.first?.elements?.count ?? 0)).map { "\($0)" }
        }
        var columns = [[JSONValue]](repeating: [], count: columnNames.count)
        for (index, row) in rows.enumerated() {
            guard let cells = row.elements, cells.count == columnNames.count else {
                throw PayloadDecodeFailure(.shapeMismatch, "dataframe_split.data[\(index)] does not have \(columnNames.count) cells")
            }
            for (column, cell) in cells.enumerated() {
                columns[column].append(cell)
            }
        }
        var tensors: [Tensor] = []
        for (name, cells) in zip(columnNames, columns) {
            tensors.append(try Self.tensor(name: name, .array(cells), at: "dataframe_split.\(name)"))
        }
        return DecodedPayload(tensors: tensors, batchSize: rows.count)
    }

    private func records(_ value: JSONValue) throws(PayloadDecodeFailure) -> DecodedPayload {
        guard let rows = value.elements else { throw PayloadDecodeFailure(.wrongType, "dataframe_records is not a list") }
        guard case .object(let first)? = rows.first else {
            return DecodedPayload(tensors: [], batchSize: rows.count)
        }
        var tensors: [Tensor] = []
        for name in first.map(\.key) {
            var cells: [JSONValue] = []
            for (index, row) in rows.enumerated() {
                guard case .object = row, let cell = row[name] else {
                    throw PayloadDecodeFailure(.missingField, "dataframe_records[\(index)].\(name)")
                }
                cells.append(cell)
            }
            tensors.append(try Self.tensor(name: name, .array(cells), at: "dataframe_records.\(name)"))
        }
        return DecodedPayload(tensors: tensors, batchSize: rows.count)
    }

    private static func tensor(name: String, _ value: JSONValue, at path: String) throws(PayloadDecodeFailure) -> Tensor {
        let (datatype, shape, values) = try NestedArray.flatten(value, at: path)
        return Tensor(name: name, datatype: datatype, shape: shape, values: values)
    }
}
