extension Tensor {
    /// Reads a `TensorProto`: its name and the tensor, from `raw_data` or the typed repeated fields.
    ///
    /// With `widening`, the narrow integer types (uint8, int8, uint16, int16) are read into int32
    /// storage: attributes such as TreeEnsemble's `nodes_modes` are uint8 tensors.
    static func read(_ reader: inout WireReader, widening: Bool = false) throws(ReferenceError) -> (String, Tensor) {
        var name = ""
        var dims: [Int64] = []
        var dataType: Int64 = 0
        var raw: ArraySlice<UInt8>?
        var floats: [Float] = []
        var doubles: [Double] = []
        var int32s: [Int64] = []
        var int64s: [Int64] = []
        var strings: [String] = []
        var external = false
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readTag()
            switch (field, wireType) {
            case (1, _): try reader.readRepeatedVarint(wireType, into: &dims)
            case (2, .varint): dataType = try reader.readInt64(wireType)
            case (3, .lengthDelimited): throw ReferenceError(.unsupportedType, "segmented tensors are not supported")
            case (4, _): try reader.readRepeatedFloat(wireType, into: &floats)
            case (5, _): try reader.readRepeatedVarint(wireType, into: &int32s)
            case (6, .lengthDelimited): strings.append(try reader.readString())
            case (7, _): try reader.readRepeatedVarint(wireType, into: &int64s)
            case (8, .lengthDelimited): name = try reader.readString()
            case (9, .lengthDelimited): raw = try reader.readBytes()
            case (10, _): try reader.readRepeatedDouble(wireType, into: &doubles)
            case (13, .lengthDelimited):
                external = true
                try reader.skip(wireType)
            case (14, .varint):
                let location = try reader.readInt64(wireType)
                external = external || location == 1
            default: try reader.skip(wireType)
            }
        }
        let label = name.isEmpty ? "tensor" : "tensor '\(name)'"
        if external {
            throw ReferenceError(
                .externalData, "\(label) keeps its data in an external file; embed it (onnx.save with save_as_external_data=False)")
        }
        var shape: [Int] = []
        for dim in dims {
            guard dim >= 0, dim <= Int64(Int32.max) else { throw ReferenceError(.malformed, "\(label) has dimension \(dim)") }
            shape.append(Int(dim))
        }
        guard let count = Tensor.elementCount(shape), count <= 1 << 31 else {
            throw ReferenceError(.malformed, "\(label) has shape \(shape), too large")
        }
        if widening, let width = [2: 1, 3: 1, 4: 2, 5: 2][dataType] {
            let signed = dataType == 3 || dataType == 5
            var values: [Int32]
            if let raw {
                guard raw.count == count * width else {
                    throw ReferenceError(.malformed, "\(label): raw_data has \(raw.count) bytes, expected \(count * width)")
                }
                values = (0..<count).map { index in
                    let offset = raw.startIndex + index * width
                    let bits = width == 1 ? UInt16(raw[offset]) : UInt16(raw[offset]) | UInt16(raw[offset + 1]) << 8
                    if !signed { return Int32(bits) }
                    return width == 1 ? Int32(Int8(truncatingIfNeeded: bits)) : Int32(Int16(bitPattern: bits))
                }
            } else {
                values = int32s.map { Int32(truncatingIfNeeded: $0) }
            }
            guard values.count == count else {
                throw ReferenceError(.malformed, "\(label) has \(values.count) elements for shape \(shape)")
            }
            return (name, Tensor(checkedShape: shape, .int32(values)))
        }
        let type: ElementType
        do { type = try ElementType.onnx(dataType) } catch { throw error.within(label) }
        let storage: Storage
        if let raw {
            storage = try Self.decodeRaw(raw, type: type, count: count, label: label)
        } else {
            switch type {
            case .float: storage = .float(floats)
            case .double: storage = .double(doubles)
            case .int32: storage = .int32(int32s.map { Int32(truncatingIfNeeded: $0) })
            case .int64: storage = .int64(int64s)
            case .bool: storage = .bool(int32s.map { $0 != 0 })
            case .string: storage = .string(strings)
            }
        }
        guard storage.count == count else {
            throw ReferenceError(.malformed, "\(label) has \(storage.count) elements for shape \(shape)")
        }
        return (name, Tensor(checkedShape: shape, storage))
    }

    private static func decodeRaw(_ raw: ArraySlice<UInt8>, type: ElementType, count: Int, label: String) throws(ReferenceError) -> Storage
    {
        let width: Int
        switch type {
        case .float, .int32: width = 4
        case .double, .int64: width = 8
        case .bool: width = 1
        case .string: throw ReferenceError(.malformed, "\(label): string tensors cannot use raw_data")
        }
        guard raw.count == count * width else {
            throw ReferenceError(.malformed, "\(label): raw_data has \(raw.count) bytes, expected \(count * width)")
        }
        let base = raw.startIndex
        func word32(_ index: Int) -> UInt32 {
            let offset = base + index * 4
            return UInt32(raw[offset]) | UInt32(raw[offset + 1]) << 8 | UInt32(raw[offset + 2]) << 16 | UInt32(raw[offset + 3]) << 24
        }
        func word64(_ index: Int) -> UInt64 {
            let offset = base + index * 8
            var value: UInt64 = 0
            for byte in 0..<8 { value |= UInt64(raw[offset + byte]) << (8 * UInt64(byte)) }
            return value
        }
        switch type {
        case .float: return .float((0..<count).map { Float(bitPattern: word32($0)) })
        case .int32: return .int32((0..<count).map { Int32(bitPattern: word32($0)) })
        case .double: return .double((0..<count).map { Double(bitPattern: word64($0)) })
        case .int64: return .int64((0..<count).map { Int64(bitPattern: word64($0)) })
        case .bool: return .bool((0..<count).map { raw[base + $0] != 0 })
        case .string: return .string([])
        }
    }

    /// Reads a tensor from the bytes of a serialized `TensorProto` (an ONNX test-data `.pb` file).
    /// - Throws: ``ReferenceError`` when the bytes are malformed or the type is unsupported.
    public init(protobuf bytes: [UInt8]) throws(ReferenceError) {
        var reader = WireReader(bytes)
        self = try Tensor.read(&reader).1
    }
}
