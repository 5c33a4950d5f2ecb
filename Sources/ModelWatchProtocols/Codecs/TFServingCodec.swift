/// Decodes TF Serving REST bodies (`:predict`, `:classify`, `:regress`).
///
/// Requests come in the row form (`instances`: one entry per example, either a value or an
/// object of named inputs) or the columnar form (`inputs`: a value, or an object of named
/// tensors). Responses carry `predictions` (row), `outputs` (columnar) or, for classify and
/// regress, `results`/`result`. Values may be `{"b64": …}` and the `NaN`/`Infinity` literals TF
/// Serving writes. Unnamed tensors are named after their field (`instances`, `predictions`, …).
public struct TFServingCodec: Sendable {
    private let reader: JSONReader

    public init(reader: JSONReader = JSONReader(allowNonFiniteLiterals: true)) {
        self.reader = reader
    }

    public func decodeRequest(_ body: [UInt8]) throws(PayloadDecodeFailure) -> DecodedPayload {
        let document = try self.document(body)
        if let instances = document["instances"] {
            return try self.rows(instances, field: "instances")
        }
        if let inputs = document["inputs"] {
            return try self.columns(inputs, field: "inputs")
        }
        if let examples = document["examples"] {
            // classify/regress: tf.Example-like objects of named features.
            return try self.rows(examples, field: "examples")
        }
        throw PayloadDecodeFailure(.missingField, "neither \"instances\", \"inputs\" nor \"examples\"")
    }

    public func decodeResponse(_ body: [UInt8]) throws(PayloadDecodeFailure) -> DecodedPayload {
        let document = try self.document(body)
        if let predictions = document["predictions"] {
            return try self.rows(predictions, field: "predictions")
        }
        if let outputs = document["outputs"] {
            return try self.columns(outputs, field: "outputs")
        }
        for field in ["results", "result"] {
            if let results = document[field] {
                // classify answers [label, score] pairs per example; regress answers numbers.
                if let pairs = try self.classification(results, field: field) {
                    return pairs
                }
                return try self.rows(results, field: field)
            }
        }
        throw PayloadDecodeFailure(.missingField, "neither \"predictions\", \"outputs\" nor \"results\"")
    }

    private func document(_ body: [UInt8]) throws(PayloadDecodeFailure) -> JSONValue {
        try NestedArray.document(body, reader: self.reader)
    }

    /// `[[[label, score], …], …]`: one list of pairs per example, as `labels` and `scores` tensors.
    private func classification(_ value: JSONValue, field: String) throws(PayloadDecodeFailure) -> DecodedPayload? {
        guard let examples = value.elements, let firstExample = examples.first?.elements,
            let firstPair = firstExample.first?.elements, firstPair.count == 2, firstPair[0].stringValue != nil
        else { return nil }
        var labels: [String] = []
        var scores: [Double] = []
        let width = firstExample.count
        for (index, example) in examples.enumerated() {
            guard let pairs = example.elements, pairs.count == width else {
                throw PayloadDecodeFailure(.shapeMismatch, "\(field)[\(index)] has a different number of classes")
            }
            for pair in pairs {
                guard let items = pair.elements, items.count == 2, let label = items[0].stringValue, let score = items[1].numberValue else {
                    throw PayloadDecodeFailure(.wrongType, "\(field)[\(index)] holds something other than [label, score]")
                }
                labels.append(label)
                scores.append(score)
            }
        }
        let shape = [examples.count, width]
        return DecodedPayload(
            tensors: [
                Tensor(name: "labels", datatype: "BYTES", shape: shape, values: .strings(labels)),
                Tensor(name: "scores", datatype: "FP64", shape: shape, values: .numbers(scores)),
            ],
            batchSize: examples.count
        )
    }

    /// Row form: a list of examples; named inputs are gathered across examples into one tensor each.
    func rows(_ value: JSONValue, field: String) throws(PayloadDecodeFailure) -> DecodedPayload {
        guard let examples = value.elements else { throw PayloadDecodeFailure(.wrongType, "\"\(field)\" is not a list") }
        guard case .object(let first)? = examples.first, first.first?.key != "b64" else {
            let (datatype, shape, values) = try NestedArray.flatten(value, at: field)
            return DecodedPayload(
                tensors: [Tensor(name: field, datatype: datatype, shape: shape, values: values)], batchSize: examples.count)
        }
        let names = first.map(\.key)
        var tensors: [Tensor] = []
        for name in names {
            var column: [JSONValue] = []
            for (index, example) in examples.enumerated() {
                guard case .object = example, let element = example[name] else {
                    throw PayloadDecodeFailure(.missingField, "\(field)[\(index)].\(name)")
                }
                column.append(element)
            }
            let (datatype, shape, values) = try NestedArray.flatten(.array(column), at: "\(field).\(name)")
            tensors.append(Tensor(name: name, datatype: datatype, shape: shape, values: values))
        }
        return DecodedPayload(tensors: tensors, batchSize: examples.count)
    }

    /// Columnar form: one value (an unnamed tensor) or an object of named tensors.
    func columns(_ value: JSONValue, field: String) throws(PayloadDecodeFailure) -> DecodedPayload {
        guard case .object(let members) = value, value["b64"] == nil else {
            let (datatype, shape, values) = try NestedArray.flatten(value, at: field)
            return DecodedPayload(tensors: [Tensor(name: field, datatype: datatype, shape: shape, values: values)], batchSize: shape.first)
        }
        var tensors: [Tensor] = []
        for (name, member) in members {
            let (datatype, shape, values) = try NestedArray.flatten(member, at: "\(field).\(name)")
            tensors.append(Tensor(name: name, datatype: datatype, shape: shape, values: values))
        }
        return DecodedPayload(tensors: tensors, batchSize: tensors.first?.shape.first)
    }
}
