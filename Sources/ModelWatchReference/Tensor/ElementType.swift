/// The element types a tensor of this interpreter can hold, with their ONNX `TensorProto.DataType` codes.
public enum ElementType: Int, Sendable, Hashable, CustomStringConvertible {
    case float = 1
    case int32 = 6
    case int64 = 7
    case string = 8
    case bool = 9
    case double = 11

    /// The ONNX element type for a `DataType` code, or an ``ReferenceError/Code-swift.struct/unsupportedType`` error naming it.
    static func onnx(_ code: Int64) throws(ReferenceError) -> ElementType {
        if let type = ElementType(rawValue: Int(truncatingIfNeeded: code)), Int64(type.rawValue) == code { return type }
        throw ReferenceError(.unsupportedType, "element type \(Self.onnxName(code)) is not supported")
    }

    /// ONNX's name for a `DataType` code, for messages.
    static func onnxName(_ code: Int64) -> String {
        let names: [Int64: String] = [
            0: "undefined", 1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string",
            9: "bool", 10: "float16", 11: "double", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128",
            16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4",
            23: "float4e2m1", 24: "float8e8m0", 25: "uint2", 26: "int2", 27: "float6e2m3", 28: "float6e3m2",
        ]
        return names[code] ?? "code \(code)"
    }

    public var description: String { Self.onnxName(Int64(self.rawValue)) }
}
