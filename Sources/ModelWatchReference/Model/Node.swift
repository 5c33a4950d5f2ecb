/// A `NodeProto`: one operator application.
public struct Node: Sendable {
    /// The node's name (may be empty in the file; ``Node/label`` always names it).
    public var name: String
    /// The operator, e.g. `Gemm`.
    public var opType: String
    /// The operator's domain: `""` for `ai.onnx`, `ai.onnx.ml` for the classic ML operators.
    public var domain: String
    /// Input value names; an empty name is an omitted optional input.
    public var inputs: [String]
    /// Output value names; an empty name is an omitted optional output.
    public var outputs: [String]
    /// Attributes by name.
    public var attributes: [String: Attribute]

    /// How messages name this node: its name and operator, or its first output when it has no name.
    public var label: String {
        let domain = self.domain.isEmpty ? "" : "\(self.domain)."
        if !self.name.isEmpty { return "node '\(self.name)' (\(domain)\(self.opType))" }
        return "node \(domain)\(self.opType) -> '\(self.outputs.first ?? "")'"
    }

    init(reading reader: inout WireReader) throws(ReferenceError) {
        self.name = ""
        self.opType = ""
        self.domain = ""
        self.inputs = []
        self.outputs = []
        self.attributes = [:]
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readTag()
            switch (field, wireType) {
            case (1, .lengthDelimited): self.inputs.append(try reader.readString())
            case (2, .lengthDelimited): self.outputs.append(try reader.readString())
            case (3, .lengthDelimited): self.name = try reader.readString()
            case (4, .lengthDelimited): self.opType = try reader.readString()
            case (7, .lengthDelimited): self.domain = try reader.readString()
            case (5, .lengthDelimited):
                var message = try reader.readMessage()
                let (name, attribute) = try Attribute.read(&message)
                self.attributes[name] = attribute
            default: try reader.skip(wireType)
            }
        }
        if self.domain == "ai.onnx" { self.domain = "" }
    }
}
