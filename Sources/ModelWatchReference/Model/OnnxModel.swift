/// An `.onnx` file as read: the `ModelProto` fields this interpreter uses.
public struct OnnxModel: Sendable {
    /// The IR version the file declares.
    public var irVersion: Int64
    /// Operator-set versions by domain (`""` is `ai.onnx`); duplicate entries keep the highest version.
    public var opsets: [String: Int]
    /// The converter that wrote the file.
    public var producer: String
    /// The main graph.
    public var graph: Graph

    /// Reads a model from the bytes of an `.onnx` file.
    /// - Throws: ``ReferenceError`` with code `malformed`, `externalData` or `unsupportedType`.
    public init(bytes: [UInt8]) throws(ReferenceError) {
        var reader = WireReader(bytes)
        var irVersion: Int64 = 0
        var opsets: [String: Int] = [:]
        var producerName = ""
        var producerVersion = ""
        var graph: Graph?
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readTag()
            switch (field, wireType) {
            case (1, .varint): irVersion = try reader.readInt64(wireType)
            case (2, .lengthDelimited): producerName = try reader.readString()
            case (3, .lengthDelimited): producerVersion = try reader.readString()
            case (7, .lengthDelimited):
                var message = try reader.readMessage()
                do { graph = try Graph(reading: &message) } catch { throw error.within("graph") }
            case (8, .lengthDelimited):
                var message = try reader.readMessage()
                var domain = ""
                var version: Int64 = 0
                while !message.isAtEnd {
                    let (field, wireType) = try message.readTag()
                    switch (field, wireType) {
                    case (1, .lengthDelimited): domain = try message.readString()
                    case (2, .varint): version = try message.readInt64(wireType)
                    default: try message.skip(wireType)
                    }
                }
                if domain == "ai.onnx" { domain = "" }
                guard version >= 0, version < Int64(Int32.max) else { throw ReferenceError(.malformed, "opset version \(version)") }
                opsets[domain] = max(opsets[domain] ?? 0, Int(version))
            default: try reader.skip(wireType)
            }
        }
        guard let graph else { throw ReferenceError(.malformed, "the file has no graph (is it an ONNX model?)") }
        self.irVersion = irVersion
        self.opsets = opsets
        self.producer = producerVersion.isEmpty ? producerName : "\(producerName) \(producerVersion)"
        self.graph = graph
    }
}
