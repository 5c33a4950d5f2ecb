/// A `GraphProto`: nodes, initializers, inputs and outputs.
public struct Graph: Sendable {
    /// The graph's name.
    public var name: String
    /// The nodes in file order.
    public var nodes: [Node]
    /// Constant tensors by name.
    public var initializers: [String: Tensor]
    /// The declared inputs, initializers included when the file lists them.
    public var inputs: [ValueInfo]
    /// The declared outputs.
    public var outputs: [ValueInfo]

    init(reading reader: inout WireReader) throws(ReferenceError) {
        self.name = ""
        self.nodes = []
        self.initializers = [:]
        self.inputs = []
        self.outputs = []
        while !reader.isAtEnd {
            let (field, wireType) = try reader.readTag()
            switch (field, wireType) {
            case (1, .lengthDelimited):
                var message = try reader.readMessage()
                let index = self.nodes.count
                do { self.nodes.append(try Node(reading: &message)) } catch { throw error.within("node \(index)") }
            case (2, .lengthDelimited): self.name = try reader.readString()
            case (5, .lengthDelimited):
                var message = try reader.readMessage()
                let (name, tensor) = try Tensor.read(&message)
                self.initializers[name] = tensor
            case (11, .lengthDelimited):
                var message = try reader.readMessage()
                self.inputs.append(try ValueInfo(reading: &message))
            case (12, .lengthDelimited):
                var message = try reader.readMessage()
                self.outputs.append(try ValueInfo(reading: &message))
            case (15, .lengthDelimited):
                throw ReferenceError(.unsupportedType, "sparse initializers are not supported")
            default: try reader.skip(wireType)
            }
        }
    }
}
