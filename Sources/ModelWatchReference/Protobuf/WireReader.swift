/// Reads the protobuf wire format from a byte array, one field at a time.
///
/// Every read is bounds-checked and throws ``ReferenceError/Code-swift.struct/malformed`` on
/// truncated or inconsistent input; nothing here can trap on hostile bytes.
struct WireReader {
    /// The protobuf wire types; groups (3, 4) are long deprecated and refused.
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int
    /// How many messages enclose this one; bounded so that nested bytes cannot exhaust the stack.
    let depth: Int

    static let maximumDepth = 64

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.position = 0
        self.end = bytes.count
        self.depth = 0
    }

    private init(bytes: [UInt8], range: Range<Int>, depth: Int) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
        self.depth = depth
    }

    var isAtEnd: Bool { self.position >= self.end }

    mutating func readVarint() throws(ReferenceError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard self.position < self.end else { throw ReferenceError(.malformed, "truncated varint") }
            let byte = self.bytes[self.position]
            self.position += 1
            if shift == 63 && byte > 1 { throw ReferenceError(.malformed, "varint longer than 64 bits") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw ReferenceError(.malformed, "varint longer than 10 bytes") }
        }
    }

    /// The next field's number and wire type.
    mutating func readTag() throws(ReferenceError) -> (field: Int, wireType: WireType) {
        let tag = try self.readVarint()
        guard let wireType = WireType(rawValue: tag & 7) else {
            throw ReferenceError(.malformed, "unsupported wire type \(tag & 7) at byte \(self.position)")
        }
        let field = tag >> 3
        guard field > 0, field < (1 << 29) else { throw ReferenceError(.malformed, "invalid field number \(field)") }
        return (Int(field), wireType)
    }

    mutating func readLengthDelimitedRange() throws(ReferenceError) -> Range<Int> {
        let length = try self.readVarint()
        guard length <= UInt64(self.end - self.position) else {
            throw ReferenceError(.malformed, "field of \(length) bytes runs past the end of its message")
        }
        let start = self.position
        self.position += Int(length)
        return start..<self.position
    }

    mutating func readBytes() throws(ReferenceError) -> ArraySlice<UInt8> {
        self.bytes[try self.readLengthDelimitedRange()]
    }

    mutating func readString() throws(ReferenceError) -> String {
        String(decoding: try self.readBytes(), as: UTF8.self)
    }

    /// A reader over the embedded message that is the next field's value.
    mutating func readMessage() throws(ReferenceError) -> WireReader {
        guard self.depth < Self.maximumDepth else { throw ReferenceError(.malformed, "messages nested deeper than \(Self.maximumDepth)") }
        let range = try self.readLengthDelimitedRange()
        return WireReader(bytes: self.bytes, range: range, depth: self.depth + 1)
    }

    mutating func readFixed32() throws(ReferenceError) -> UInt32 {
        guard self.end - self.position >= 4 else { throw ReferenceError(.malformed, "truncated fixed32") }
        var value: UInt32 = 0
        for offset in 0..<4 { value |= UInt32(self.bytes[self.position + offset]) << (8 * UInt32(offset)) }
        self.position += 4
        return value
    }

    mutating func readFixed64() throws(ReferenceError) -> UInt64 {
        guard self.end - self.position >= 8 else { throw ReferenceError(.malformed, "truncated fixed64") }
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(self.bytes[self.position + offset]) << (8 * UInt64(offset)) }
        self.position += 8
        return value
    }

    mutating func readInt64(_ wireType: WireType) throws(ReferenceError) -> Int64 {
        guard wireType == .varint else { throw ReferenceError(.malformed, "integer field with wire type \(wireType)") }
        return Int64(bitPattern: try self.readVarint())
    }

    mutating func readFloat(_ wireType: WireType) throws(ReferenceError) -> Float {
        guard wireType == .fixed32 else { throw ReferenceError(.malformed, "float field with wire type \(wireType)") }
        return Float(bitPattern: try self.readFixed32())
    }

    mutating func readDouble(_ wireType: WireType) throws(ReferenceError) -> Double {
        guard wireType == .fixed64 else { throw ReferenceError(.malformed, "double field with wire type \(wireType)") }
        return Double(bitPattern: try self.readFixed64())
    }

    /// Appends a repeated varint field's values, packed (one length-delimited run) or not (one per tag).
    mutating func readRepeatedVarint(_ wireType: WireType, into values: inout [Int64]) throws(ReferenceError) {
        switch wireType {
        case .varint:
            values.append(Int64(bitPattern: try self.readVarint()))
        case .lengthDelimited:
            var packed = try self.readMessageIgnoringDepth()
            while !packed.isAtEnd { values.append(Int64(bitPattern: try packed.readVarint())) }
        default:
            throw ReferenceError(.malformed, "repeated integer field with wire type \(wireType)")
        }
    }

    /// Appends a repeated float field's values, packed or not.
    mutating func readRepeatedFloat(_ wireType: WireType, into values: inout [Float]) throws(ReferenceError) {
        switch wireType {
        case .fixed32:
            values.append(Float(bitPattern: try self.readFixed32()))
        case .lengthDelimited:
            var packed = try self.readMessageIgnoringDepth()
            guard (packed.end - packed.position) % 4 == 0 else {
                throw ReferenceError(.malformed, "packed floats not a multiple of 4 bytes")
            }
            values.reserveCapacity(values.count + (packed.end - packed.position) / 4)
            while !packed.isAtEnd { values.append(Float(bitPattern: try packed.readFixed32())) }
        default:
            throw ReferenceError(.malformed, "repeated float field with wire type \(wireType)")
        }
    }

    /// Appends a repeated double field's values, packed or not.
    mutating func readRepeatedDouble(_ wireType: WireType, into values: inout [Double]) throws(ReferenceError) {
        switch wireType {
        case .fixed64:
            values.append(Double(bitPattern: try self.readFixed64()))
        case .lengthDelimited:
            var packed = try self.readMessageIgnoringDepth()
            guard (packed.end - packed.position) % 8 == 0 else {
                throw ReferenceError(.malformed, "packed doubles not a multiple of 8 bytes")
            }
            values.reserveCapacity(values.count + (packed.end - packed.position) / 8)
            while !packed.isAtEnd { values.append(Double(bitPattern: try packed.readFixed64())) }
        default:
            throw ReferenceError(.malformed, "repeated double field with wire type \(wireType)")
        }
    }

    private mutating func readMessageIgnoringDepth() throws(ReferenceError) -> WireReader {
        let range = try self.readLengthDelimitedRange()
        return WireReader(bytes: self.bytes, range: range, depth: self.depth)
    }

    /// Skips a field this reader does not need; unknown fields are legal protobuf.
    mutating func skip(_ wireType: WireType) throws(ReferenceError) {
        switch wireType {
        case .varint: _ = try self.readVarint()
        case .fixed64: _ = try self.readFixed64()
        case .fixed32: _ = try self.readFixed32()
        case .lengthDelimited: _ = try self.readLengthDelimitedRange()
        }
    }
}
