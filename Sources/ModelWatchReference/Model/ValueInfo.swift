/// A declared graph input or output (`ValueInfoProto`).
public struct ValueInfo: Sendable {
    /// The value's name.
    public var name: String
    /// Its declared type, when the file gives one.
    public var type: ValueType?

    init(reading reader: inout WireReader) throws(ReferenceError) {
        self.name = ""
        self.type = nil
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readTag()
            switch (field, wireType) {
            case (1, .lengthDelimited): self.name = try reader.readString()
            case (2, .lengthDelimited):
                var message = try reader.readMessage()
                self.type = try ValueType(reading: &message)
            default: try reader.skip(wireType)
            }
        }
    }
}

/// One dimension of a declared shape.
public enum Dimension: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    case symbolic(String)
    case unknown

    public var description: String {
        switch self {
        case .fixed(let value): return "\(value)"
        case .symbolic(let name): return name
        case .unknown: return "?"
        }
    }
}

/// A declared value type (`TypeProto`).
public indirect enum ValueType: Sendable, Equatable, CustomStringConvertible {
    /// A tensor of the ONNX element-type code, with its shape when declared.
    case tensor(elementCode: Int64, shape: [Dimension]?)
    case sequence(ValueType)
    case map(keyCode: Int64, value: ValueType)
    case optional(ValueType)
    case other

    init(reading reader: inout WireReader) throws(ReferenceError) {
        var result = ValueType.other
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readTag()
            switch (field, wireType) {
            case (1, .lengthDelimited):
                var message = try reader.readMessage()
                var code: Int64 = 0
                var shape: [Dimension]?
                while !message.isAtEnd {
                    let (field, wireType) = try message.readTag()
                    switch (field, wireType) {
                    case (1, .varint): code = try message.readInt64(wireType)
                    case (2, .lengthDelimited):
                        var shapeMessage = try message.readMessage()
                        shape = try Self.readShape(&shapeMessage)
                    default: try message.skip(wireType)
                    }
                }
                result = .tensor(elementCode: code, shape: shape)
            case (4, .lengthDelimited), (9, .lengthDelimited):
                var message = try reader.readMessage()
                var element = ValueType.other
                while !message.isAtEnd {
                    let (field, wireType) = try message.readTag()
                    if field == 1, wireType == .lengthDelimited {
                        var inner = try message.readMessage()
                        element = try ValueType(reading: &inner)
                    } else {
                        try message.skip(wireType)
                    }
                }
                result = field == 4 ? .sequence(element) : .optional(element)
            case (5, .lengthDelimited):
                var message = try reader.readMessage()
                var key: Int64 = 0
                var value = ValueType.other
                while !message.isAtEnd {
                    let (field, wireType) = try message.readTag()
                    switch (field, wireType) {
                    case (1, .varint): key = try message.readInt64(wireType)
                    case (2, .lengthDelimited):
                        var inner = try message.readMessage()
                        value = try ValueType(reading: &inner)
                    default: try message.skip(wireType)
                    }
                }
                result = .map(keyCode: key, value: value)
            default: try reader.skip(wireType)
            }
        }
        self = result
    }

    private static func readShape(_ reader: inout WireReader) throws(ReferenceError) -> [Dimension] {
        var dimensions: [Dimension] = []
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readTag()
            guard field == 1, wireType == .lengthDelimited else {
                try reader.skip(wireType)
                continue
            }
            var message = try reader.readMessage()
            var dimension = Dimension.unknown
            while !message.isAtEnd {
                let (field, wireType) = try message.readTag()
                switch (field, wireType) {
                case (1, .varint):
                    let value = try message.readInt64(wireType)
                    dimension = value >= 0 && value <= Int64(Int32.max) ? .fixed(Int(value)) : .unknown
                case (2, .lengthDelimited): dimension = .symbolic(try message.readString())
                default: try message.skip(wireType)
                }
            }
            dimensions.append(dimension)
        }
        return dimensions
    }

    public var description: String {
        switch self {
        case .tensor(let code, let shape):
            let dims = shape.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" } ?? "[?]"
            return "tensor(\(ElementType.onnxName(code)))\(dims)"
        case .sequence(let element): return "seq(\(element))"
        case .map(let key, let value): return "map(\(ElementType.onnxName(key)), \(value))"
        case .optional(let element): return "optional(\(element))"
        case .other: return "unknown"
        }
    }
}
