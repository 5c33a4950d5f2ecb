/// Reads the common Open Inference Protocol body straight from its bytes, without building a JSON
/// tree: building and freeing the tree was a third of the analysis pipeline's cost per exchange.
///
/// It takes only the form nearly every client and server sends — each tensor's `name`, `datatype`,
/// a numeric `shape` and flat numeric `data`, every member at most once — and checks the rest of the
/// document as the tree would. Anything else (a malformed body, nested or non-numeric data, the
/// binary extension, a repeated member, a failure of any kind) makes it answer `nil`, and the codec
/// decodes the body through the tree, so every failure and every rarer form has one code path.
struct OpenInferenceDirectReader {
    private var cursor: JSONCursor
    /// `model_name`, `model_version` and the field that holds the tensors, in that order.
    private let documentNames: [[UInt8]]

    private static let requestNames = [Array("model_name".utf8), Array("model_version".utf8), Array("inputs".utf8)]
    private static let responseNames = [Array("model_name".utf8), Array("model_version".utf8), Array("outputs".utf8)]
    /// A tensor's members, in the order `tensor()` numbers them.
    private static let tensorNames = ["name", "datatype", "shape", "data", "parameters"].map { Array($0.utf8) }
    private static let parameterNames = [Array("binary_data_size".utf8)]

    /// Where the tree puts a top-level member's value (`value(depth: 1)`); the cursor counts from it.
    private static let memberDepth = 1

    /// - Parameters:
    ///   - bytes: the JSON document (the header alone, with the binary extension).
    ///   - field: `inputs` for a request, `outputs` for a response.
    init(bytes: UnsafeRawBufferPointer, reader: JSONReader, field: String) {
        self.cursor = JSONCursor(bytes: bytes, reader: reader)
        switch field {
        case "inputs": self.documentNames = Self.requestNames
        case "outputs": self.documentNames = Self.responseNames
        default: self.documentNames = [Array("model_name".utf8), Array("model_version".utf8), Array(field.utf8)]
        }
    }

    /// The payload the tree-based decoding would give, or `nil` when this reader does not take the body.
    mutating func decode() -> DecodedPayload? {
        // A value takes at least one byte, so a body no longer than the limit cannot pass it.
        guard self.cursor.bytes.count <= self.cursor.reader.maxValues, self.cursor.reader.maxDepth >= 4 else { return nil }
        do throws(JSONReader.Failure) {
            return try self.document()
        } catch {
            return nil
        }
    }

    private mutating func document() throws(JSONReader.Failure) -> DecodedPayload? {
        guard self.cursor.peek() == UInt8(ascii: "{") else { return nil }
        self.cursor.offset += 1
        var model: String?? = nil
        var version: String?? = nil
        var tensors: [Tensor]?
        if self.cursor.peek() == UInt8(ascii: "}") {
            return nil  // no tensors: the tree reports the missing field
        }
        repeat {
            switch try self.cursor.memberName(among: self.documentNames) {
            case 0:
                guard model == nil else { return nil }
                model = .some(try self.optionalString())
            case 1:
                guard version == nil else { return nil }
                version = .some(try self.optionalString())
            case 2:
                guard tensors == nil, let read = try self.tensors() else { return nil }
                tensors = read
            default:
                try self.cursor.skipValue(depth: Self.memberDepth)
            }
        } while try self.cursor.separator(closing: UInt8(ascii: "}"))
        guard self.cursor.peek() == nil, let tensors else { return nil }
        return DecodedPayload(model: model ?? nil, version: version ?? nil, tensors: tensors, batchSize: tensors.first?.shape.first)
    }

    /// A member's value when it is a string, `nil` for any other value (which is checked and skipped).
    private mutating func optionalString() throws(JSONReader.Failure) -> String? {
        guard self.cursor.peek() == UInt8(ascii: "\"") else {
            try self.cursor.skipValue(depth: Self.memberDepth)
            return nil
        }
        return try self.cursor.string()
    }

    private mutating func tensors() throws(JSONReader.Failure) -> [Tensor]? {
        guard self.cursor.peek() == UInt8(ascii: "[") else { return nil }
        var tensors: [Tensor] = []
        guard self.cursor.enter(closing: UInt8(ascii: "]")) else { return tensors }
        repeat {
            guard let tensor = try self.tensor() else { return nil }
            tensors.append(tensor)
        } while try self.cursor.separator(closing: UInt8(ascii: "]"))
        return tensors
    }

    /// One `{name, datatype, shape, data}` entry; `nil` for any other form.
    private mutating func tensor() throws(JSONReader.Failure) -> Tensor? {
        // The tree: the document at 1, the list at 2, this entry at 3, its members' containers at 4.
        let entryDepth = Self.memberDepth + 2
        guard self.cursor.peek() == UInt8(ascii: "{") else { return nil }
        self.cursor.offset += 1
        guard self.cursor.peek() != UInt8(ascii: "}") else { return nil }
        var name: String?
        var datatype: String?
        var shape: [Double]?
        var data: [Double]?
        var sawParameters = false
        repeat {
            switch try self.cursor.memberName(among: Self.tensorNames) {
            case 0:
                guard name == nil, self.cursor.peek() == UInt8(ascii: "\"") else { return nil }
                name = try self.cursor.string()
            case 1:
                guard datatype == nil, self.cursor.peek() == UInt8(ascii: "\"") else { return nil }
                datatype = try self.cursor.string()
            case 2:
                guard shape == nil, let numbers = try self.numbers() else { return nil }
                shape = numbers
            case 3:
                guard data == nil, let numbers = try self.numbers() else { return nil }
                data = numbers
            case 4:
                guard !sawParameters, try self.parametersWithoutBinarySize(depth: entryDepth) else { return nil }
                sawParameters = true
            default:
                try self.cursor.skipValue(depth: entryDepth)
            }
        } while try self.cursor.separator(closing: UInt8(ascii: "}"))
        guard let name, let datatype, let shape, let data else { return nil }
        return Self.checked(name: name, datatype: datatype, dimensions: shape, data: data)
    }

    /// The tensor when its shape and data agree as the tree-based decoding requires, else `nil`.
    private static func checked(name: String, datatype: String, dimensions: [Double], data: [Double]) -> Tensor? {
        guard let width = OpenInferenceCodec.width(of: datatype), width > 0, datatype != "BOOL" else {
            // Unknown types fail; BOOL and BYTES data is not numbers (unless empty): the tree decides.
            return nil
        }
        var shape: [Int] = []
        shape.reserveCapacity(dimensions.count)
        var elements = 1
        for value in dimensions {
            guard OpenInferenceCodec.isDimension(value), let product = OpenInferenceCodec.elements(elements, times: Int(value)) else {
                return nil
            }
            shape.append(Int(value))
            elements = product
        }
        guard data.count == elements else { return nil }
        return Tensor(name: name, datatype: datatype, shape: shape, values: .numbers(data))
    }

    /// A flat array of numbers (possibly empty); `nil` for any other value, which is left unread.
    private mutating func numbers() throws(JSONReader.Failure) -> [Double]? {
        guard self.cursor.peek() == UInt8(ascii: "[") else { return nil }
        var numbers: [Double] = []
        // Most shapes and small tensors fit: one allocation instead of two or three while growing.
        numbers.reserveCapacity(8)
        guard self.cursor.enter(closing: UInt8(ascii: "]")) else { return numbers }
        repeat {
            guard let byte = self.cursor.peek(), JSONCursor.startsNumber(byte) else { return nil }
            numbers.append(try self.cursor.number())
        } while try self.cursor.separator(closing: UInt8(ascii: "]"))
        return numbers
    }

    /// Checks and skips a tensor's `parameters`; `false` when it names a `binary_data_size`, which
    /// the tree-based decoding handles.
    private mutating func parametersWithoutBinarySize(depth: Int) throws(JSONReader.Failure) -> Bool {
        guard self.cursor.peek() == UInt8(ascii: "{") else {
            try self.cursor.skipValue(depth: depth)
            return true
        }
        guard self.cursor.enter(closing: UInt8(ascii: "}")) else { return true }
        repeat {
            guard try self.cursor.memberName(among: Self.parameterNames) == nil else { return false }
            try self.cursor.skipValue(depth: depth + 1)
        } while try self.cursor.separator(closing: UInt8(ascii: "}"))
        return true
    }
}
