/// Decodes Open Inference Protocol v2 bodies (KServe, Triton, MLServer): `inputs` of a request,
/// `outputs` of a response, each `{name, shape, datatype, data}`.
///
/// `data` may be flat or nested row-major arrays. With the binary-tensor extension the body starts
/// with a JSON header of `Inference-Header-Content-Length` bytes and tensors whose
/// `parameters.binary_data_size` says how many bytes of the blob that follows are theirs; those
/// are reported by size only.
public struct OpenInferenceCodec: Sendable {
    /// A shape dimension must be a whole number below 10^12; the direct reader and the tree
    /// refuse the same ones.
    static func isDimension(_ value: Double) -> Bool {
        value >= 0 && value == value.rounded() && value < 1e12
    }

    /// The element count of a shape with one more dimension, `nil` when it would reach 2^40.
    static func elements(_ elements: Int, times dimension: Int) -> Int? {
        let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
        return !overflow && product < 1 << 40 ? product : nil
    }

    /// The size in bytes of one element of a datatype of the protocol (0 for `BYTES`, which
    /// varies); `nil` for any other name. A switch, not a dictionary: no hashing per tensor.
    static func width(of datatype: String) -> Int? {
        switch datatype {
        case "BOOL", "UINT8", "INT8": return 1
        case "UINT16", "INT16", "FP16", "BF16": return 2
        case "UINT32", "INT32", "FP32": return 4
        case "UINT64", "INT64", "FP64": return 8
        case "BYTES": return 0
        default: return nil
        }
    }

    private let reader: JSONReader

    public init(reader: JSONReader = JSONReader(allowNonFiniteLiterals: false)) {
        self.reader = reader
    }

    /// Decodes a request's `inputs`.
    /// - Parameters:
    ///   - headerLength: the `Inference-Header-Content-Length` header, when the binary extension is used.
    public func decodeRequest(_ body: [UInt8], headerLength: Int? = nil) throws(PayloadDecodeFailure) -> DecodedPayload {
        try self.decode(body, headerLength: headerLength, field: "inputs")
    }

    /// Decodes a response's `outputs`, with the model name and version it reports.
    public func decodeResponse(_ body: [UInt8], headerLength: Int? = nil) throws(PayloadDecodeFailure) -> DecodedPayload {
        try self.decode(body, headerLength: headerLength, field: "outputs")
    }

    private func decode(_ body: [UInt8], headerLength: Int?, field: String) throws(PayloadDecodeFailure) -> DecodedPayload {
        var json = body[...]
        var blobBytes = 0
        if let headerLength {
            guard headerLength >= 0, headerLength <= body.count else {
                throw PayloadDecodeFailure(.invalidBinaryHeader, "header length \(headerLength) for a body of \(body.count) bytes")
            }
            json = body[..<headerLength]
            blobBytes = body.count - headerLength
        }
        let direct = json.withContiguousStorageIfAvailable { buffer in
            var reader = OpenInferenceDirectReader(bytes: UnsafeRawBufferPointer(buffer), reader: self.reader, field: field)
            return reader.decode()
        }
        if let direct, let payload = direct { return payload }
        return try self.decodeThroughTree(json, blobBytes: blobBytes, field: field)
    }

    /// Decodes through a parsed JSON tree: every body the direct reader does not take, and every failure.
    func decodeThroughTree(_ json: ArraySlice<UInt8>, blobBytes: Int, field: String) throws(PayloadDecodeFailure) -> DecodedPayload {
        let document = try NestedArray.document(json, reader: self.reader)
        guard let list = document[field] else { throw PayloadDecodeFailure(.missingField, "no \"\(field)\"") }
        guard let entries = list.elements else { throw PayloadDecodeFailure(.wrongType, "\"\(field)\" is not an array") }
        var tensors: [Tensor] = []
        var binaryDeclared = 0
        for (index, entry) in entries.enumerated() {
            let tensor = try self.tensor(entry, at: "\(field)[\(index)]")
            if case .binary(let count) = tensor.values { binaryDeclared += count }
            tensors.append(tensor)
        }
        if binaryDeclared > blobBytes {
            throw PayloadDecodeFailure(.invalidBinaryHeader, "tensors declare \(binaryDeclared) binary bytes, the body has \(blobBytes)")
        }
        let batch = tensors.first.flatMap { $0.shape.first }
        return DecodedPayload(
            model: document["model_name"]?.stringValue,
            version: document["model_version"]?.stringValue,
            tensors: tensors,
            batchSize: batch
        )
    }

    private func tensor(_ entry: JSONValue, at path: String) throws(PayloadDecodeFailure) -> Tensor {
        guard case .object = entry else { throw PayloadDecodeFailure(.wrongType, "\(path) is not an object") }
        guard let name = entry["name"]?.stringValue else { throw PayloadDecodeFailure(.missingField, "\(path).name") }
        guard let datatype = entry["datatype"]?.stringValue else { throw PayloadDecodeFailure(.missingField, "\(path).datatype") }
        guard let width = Self.width(of: datatype) else { throw PayloadDecodeFailure(.unknownDatatype, "\(path).datatype \"\(datatype)\"") }
        guard let dimensions = entry["shape"], let rank = Self.count(of: dimensions) else {
            throw PayloadDecodeFailure(.missingField, "\(path).shape")
        }
        var shape: [Int] = []
        shape.reserveCapacity(rank)
        var elements = 1
        for index in 0..<rank {
            guard let value = Self.number(at: index, of: dimensions), Self.isDimension(value) else {
                throw PayloadDecodeFailure(.invalidShape, "\(path).shape has \(dimensions.elements?[index] ?? dimensions)")
            }
            shape.append(Int(value))
            guard let product = Self.elements(elements, times: Int(value)) else {
                throw PayloadDecodeFailure(.invalidShape, "\(path).shape is too large")
            }
            elements = product
        }

        if let size = entry["parameters"]?["binary_data_size"]?.numberValue {
            guard size >= 0, size == size.rounded() else {
                throw PayloadDecodeFailure(.invalidBinaryHeader, "\(path) binary_data_size \(size)")
            }
            if width > 0 && Int(size) != elements * width {
                throw PayloadDecodeFailure(.shapeMismatch, "\(path): \(Int(size)) bytes for \(elements) \(datatype) elements")
            }
            return Tensor(name: name, datatype: datatype, shape: shape, values: .binary(byteCount: Int(size)))
        }

        guard let data = entry["data"] else { throw PayloadDecodeFailure(.missingField, "\(path).data") }
        // Flat or nested row-major data; nested data must be rectangular.
        let (found, _, values) = try NestedArray.flatten(data, at: "\(path).data")
        let count: Int
        switch values {
        case .numbers(let numbers): count = numbers.count
        case .strings(let strings): count = strings.count
        case .binary: throw PayloadDecodeFailure(.wrongType, "\(path).data holds {\"b64\": …} objects, which are not OIP data")
        }
        let numeric = found == "FP64" && datatype != "BOOL" && datatype != "BYTES"
        guard count == 0 || found == datatype || numeric else {
            throw PayloadDecodeFailure(.wrongType, "\(path).data holds \(found) values for datatype \(datatype)")
        }
        guard count == elements else {
            throw PayloadDecodeFailure(.shapeMismatch, "\(path): shape \(shape) holds \(elements) elements, data has \(count)")
        }
        return Tensor(name: name, datatype: datatype, shape: shape, values: values)
    }

    /// Elements of a JSON array; a shape is nearly always all numbers, read without making a
    /// value of each.
    private static func count(of array: JSONValue) -> Int? {
        switch array {
        case .numbers(let numbers): return numbers.count
        case .array(let values): return values.count
        default: return nil
        }
    }

    /// The element at `index` of an array `count(of:)` measured, when it is a number.
    private static func number(at index: Int, of array: JSONValue) -> Double? {
        switch array {
        case .numbers(let numbers): return numbers[index]
        case .array(let values): return values[index].numberValue
        default: return nil
        }
    }
}
