/// Turns a JSON value that holds a (possibly nested) rectangular array into a shape and flat values.
///
/// Shared by the codecs whose payloads carry plain JSON arrays rather than declared shapes (TF
/// Serving, MLflow, generic JSON): the shape is inferred, and ragged or mixed-type arrays refused.
enum NestedArray {
    /// Parses a body that must be a JSON object, mapping the reader's failures to decode failures.
    static func document(_ body: some Collection<UInt8>, reader: JSONReader) throws(PayloadDecodeFailure) -> JSONValue {
        // Bodies arrive as slices of the captured bytes: read them in place rather than copy them.
        let parsed =
            body.withContiguousStorageIfAvailable { buffer in Self.parse(UnsafeRawBufferPointer(buffer), reader: reader) }
            ?? Array(body).withUnsafeBytes { buffer in Self.parse(buffer, reader: reader) }
        let document: JSONValue
        switch parsed {
        case .success(let value): document = value
        case .failure(let error): throw PayloadDecodeFailure(.invalidJSON, error.description)
        }
        guard case .object = document else { throw PayloadDecodeFailure(.notAnObject, "the body is not a JSON object") }
        return document
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer, reader: JSONReader) -> Result<JSONValue, JSONReader.Failure> {
        do throws(JSONReader.Failure) { return .success(try reader.parse(bytes)) } catch { return .failure(error) }
    }

    /// - Returns: the inferred shape and the flattened values with their datatype
    ///   (`FP64` for numbers, `BOOL` for booleans, `BYTES` for strings and `{"b64": …}` objects).
    static func flatten(_ value: JSONValue, at path: String) throws(PayloadDecodeFailure) -> (
        datatype: String, shape: [Int], values: Tensor.Values
    ) {
        // A flat numeric array (most tensors' data) is already what is wanted: no copy.
        if case .numbers(let numbers) = value { return ("FP64", [numbers.count], .numbers(numbers)) }
        var collector = Collector(path: path)
        let shape = try collector.visit(value)
        switch collector.kind {
        case .none, .number:
            return ("FP64", shape, .numbers(collector.numbers))
        case .bool:
            return ("BOOL", shape, .numbers(collector.numbers))
        case .string:
            return ("BYTES", shape, .strings(collector.strings))
        case .binary:
            return ("BYTES", shape, .binary(byteCount: collector.binaryBytes))
        }
    }

    private enum Kind {
        case number, bool, string, binary
    }

    private struct Collector {
        let path: String
        var kind: Kind?
        var numbers: [Double] = []
        var strings: [String] = []
        var binaryBytes = 0

        init(path: String) {
            self.path = path
        }

        private mutating func admit(_ kind: Kind) throws(PayloadDecodeFailure) {
            if let existing = self.kind, existing != kind {
                throw PayloadDecodeFailure(.wrongType, "\(self.path) mixes value types")
            }
            self.kind = kind
        }

        /// - Returns: the shape of `value`.
        mutating func visit(_ value: JSONValue) throws(PayloadDecodeFailure) -> [Int] {
            switch value {
            case .number(let number):
                try self.admit(.number)
                self.numbers.append(number)
                return []
            case .bool(let flag):
                try self.admit(.bool)
                self.numbers.append(flag ? 1 : 0)
                return []
            case .string(let text):
                try self.admit(.string)
                self.strings.append(text)
                return []
            case .numbers(let values):
                try self.admit(.number)
                self.numbers.append(contentsOf: values)
                return [values.count]
            case .array(let elements):
                var inner: [Int]?
                for element in elements {
                    let shape = try self.visit(element)
                    if let inner, inner != shape {
                        throw PayloadDecodeFailure(.shapeMismatch, "\(self.path) is ragged: \(inner) and \(shape)")
                    }
                    inner = shape
                }
                return [elements.count] + (inner ?? [])
            case .object where value["b64"]?.stringValue != nil:
                try self.admit(.binary)
                let encoded = value["b64"]?.stringValue ?? ""
                let padding = encoded.reversed().prefix(while: { $0 == "=" }).count
                self.binaryBytes += encoded.utf8.count / 4 * 3 - padding
                return []
            case .null, .object:
                throw PayloadDecodeFailure(.wrongType, "\(self.path) holds \(value == .null ? "null" : "an object")")
            }
        }
    }
}
