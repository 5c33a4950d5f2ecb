/// A node attribute's value (`AttributeProto`).
public enum Attribute: Sendable {
    case float(Float)
    case int(Int64)
    case string(String)
    case tensor(Tensor)
    case floats([Float])
    case ints([Int64])
    case strings([String])
    /// A kind this interpreter does not use (graphs, sparse tensors, type protos); operators that need one are refused.
    case unsupported(kind: Int64)

    static func read(_ reader: inout WireReader) throws(ReferenceError) -> (String, Attribute) {
        var name = ""
        var type: Int64 = 0
        var float: Float?
        var int: Int64?
        var string: String?
        var tensor: Tensor?
        var floats: [Float] = []
        var ints: [Int64] = []
        var strings: [String] = []
        var other = false
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readTag()
            switch (field, wireType) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (20, .varint): type = try reader.readInt64(wireType)
            case (2, .fixed32): float = try reader.readFloat(wireType)
            case (3, .varint): int = try reader.readInt64(wireType)
            case (4, .lengthDelimited): string = try reader.readString()
            case (5, .lengthDelimited):
                var message = try reader.readMessage()
                do { tensor = try Tensor.read(&message, widening: true).1 } catch { throw error.within("attribute '\(name)'") }
            case (7, _): try reader.readRepeatedFloat(wireType, into: &floats)
            case (8, _): try reader.readRepeatedVarint(wireType, into: &ints)
            case (9, .lengthDelimited): strings.append(try reader.readString())
            case (6, _), (10, _), (11, _), (14, _), (15, _), (22, _), (23, _):
                other = true
                try reader.skip(wireType)
            case (21, .lengthDelimited):
                throw ReferenceError(.unsupportedOperator, "attribute references (functions) are not supported")
            default: try reader.skip(wireType)
            }
        }
        switch type {
        case 1: return (name, .float(float ?? 0))
        case 2: return (name, .int(int ?? 0))
        case 3: return (name, .string(string ?? ""))
        case 4:
            guard let tensor else { throw ReferenceError(.malformed, "tensor attribute '\(name)' has no tensor") }
            return (name, .tensor(tensor))
        case 6: return (name, .floats(floats))
        case 7: return (name, .ints(ints))
        case 8: return (name, .strings(strings))
        case 0:
            // Very old files leave the type out; infer it from the field that is set.
            if let float { return (name, .float(float)) }
            if let int { return (name, .int(int)) }
            if let string { return (name, .string(string)) }
            if let tensor { return (name, .tensor(tensor)) }
            if !floats.isEmpty { return (name, .floats(floats)) }
            if !ints.isEmpty { return (name, .ints(ints)) }
            if !strings.isEmpty { return (name, .strings(strings)) }
            if other { return (name, .unsupported(kind: 0)) }
            throw ReferenceError(.malformed, "attribute '\(name)' has no type and no value")
        default: return (name, .unsupported(kind: type))
        }
    }
}
