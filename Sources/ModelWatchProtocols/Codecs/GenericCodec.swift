/// Reads JSON bodies of servers with no protocol of their own (TorchServe handlers, custom
/// services): whatever looks like tensors is taken, nothing else is demanded.
///
/// A top-level list is a batch of rows (numbers, nested lists, or objects of named features); an
/// object is read TF Serving's way when it has `instances` or `inputs`, otherwise each member that
/// holds numbers or strings becomes a tensor of that name. Members that hold anything else are
/// skipped rather than reported: the body's shape is the service's own business.
public struct GenericCodec: Sendable {
    private let reader: JSONReader
    private let tensors: TFServingCodec

    public init(reader: JSONReader = JSONReader(allowNonFiniteLiterals: true)) {
        self.reader = reader
        self.tensors = TFServingCodec(reader: reader)
    }

    /// - Throws: only when the body is not JSON at all, or a list is not rectangular.
    public func decode(_ body: [UInt8], field: String) throws(PayloadDecodeFailure) -> DecodedPayload {
        let document: JSONValue
        do {
            document = try self.reader.parse(body)
        } catch {
            throw PayloadDecodeFailure(.invalidJSON, error.description)
        }
        switch document {
        case .array, .numbers:
            return try self.tensors.rows(document, field: field)
        case .object(let members):
            if let instances = document["instances"] {
                return try self.tensors.rows(instances, field: "instances")
            }
            if let inputs = document["inputs"] {
                return try self.tensors.columns(inputs, field: "inputs")
            }
            var tensors: [Tensor] = []
            for (name, member) in members {
                guard let (datatype, shape, values) = try? NestedArray.flatten(member, at: name) else { continue }
                tensors.append(Tensor(name: name, datatype: datatype, shape: shape, values: values))
            }
            return DecodedPayload(tensors: tensors, batchSize: tensors.first.map { $0.shape.first ?? 1 })
        default:
            return DecodedPayload(tensors: [], batchSize: nil)
        }
    }
}
