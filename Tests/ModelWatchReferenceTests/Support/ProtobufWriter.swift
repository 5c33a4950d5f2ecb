/// Writes protobuf wire format, so tests can build ONNX models (good and bad) without Python.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            self.bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        self.bytes.append(UInt8(value))
    }

    mutating func tag(_ field: Int, _ wireType: UInt64) { self.varint(UInt64(field) << 3 | wireType) }

    mutating func int(_ field: Int, _ value: Int64) {
        self.tag(field, 0)
        self.varint(UInt64(bitPattern: value))
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        self.tag(field, 2)
        self.varint(UInt64(value.count))
        self.bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) { self.bytes(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        self.bytes(field, inner.bytes)
    }

    mutating func float(_ field: Int, _ value: Float) {
        self.tag(field, 5)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 32, by: 8) { self.bytes.append(UInt8((bits >> UInt32(shift)) & 0xff)) }
    }

    mutating func packedFloats(_ field: Int, _ values: [Float]) {
        var inner = ProtobufWriter()
        for value in values {
            let bits = value.bitPattern
            for shift in stride(from: 0, to: 32, by: 8) { inner.bytes.append(UInt8((bits >> UInt32(shift)) & 0xff)) }
        }
        self.bytes(field, inner.bytes)
    }

    mutating func packedInts(_ field: Int, _ values: [Int64]) {
        var inner = ProtobufWriter()
        for value in values { inner.varint(UInt64(bitPattern: value)) }
        self.bytes(field, inner.bytes)
    }
}

/// A small ONNX model built field by field.
struct TestModel {
    struct NodeSpec {
        var op: String
        var domain = ""
        var inputs: [String]
        var outputs: [String]
        var attributes: [(inout ProtobufWriter) -> Void] = []
    }

    var opsets: [(String, Int64)] = [("", 17)]
    var nodes: [NodeSpec] = []
    var inputs: [(String, Int64, [Int64])] = [("X", 1, [-1, 3])]
    var outputs: [(String, Int64)] = [("Y", 1)]
    var initializers: [(inout ProtobufWriter) -> Void] = []

    static func floatTensor(_ name: String, dims: [Int64], values: [Float], packed: Bool = true) -> (inout ProtobufWriter) -> Void {
        { writer in
            for dim in dims { writer.int(1, dim) }
            writer.int(2, 1)
            if packed {
                writer.packedFloats(4, values)
            } else {
                for value in values { writer.float(4, value) }
            }
            writer.string(8, name)
        }
    }

    static func int64Tensor(_ name: String, dims: [Int64], values: [Int64]) -> (inout ProtobufWriter) -> Void {
        { writer in
            for dim in dims { writer.int(1, dim) }
            writer.int(2, 7)
            writer.packedInts(7, values)
            writer.string(8, name)
        }
    }

    static func intAttribute(_ name: String, _ value: Int64) -> (inout ProtobufWriter) -> Void {
        { writer in
            writer.string(1, name)
            writer.int(20, 2)
            writer.int(3, value)
        }
    }

    static func intsAttribute(_ name: String, _ values: [Int64]) -> (inout ProtobufWriter) -> Void {
        { writer in
            writer.string(1, name)
            writer.int(20, 7)
            writer.packedInts(8, values)
        }
    }

    var bytes: [UInt8] {
        var model = ProtobufWriter()
        model.int(1, 8)
        model.string(2, "modelwatch-tests")
        for (domain, version) in self.opsets {
            model.message(8) { opset in
                opset.string(1, domain)
                opset.int(2, version)
            }
        }
        model.message(7) { graph in
            for node in self.nodes {
                graph.message(1) { writer in
                    for input in node.inputs { writer.string(1, input) }
                    for output in node.outputs { writer.string(2, output) }
                    writer.string(4, node.op)
                    if !node.domain.isEmpty { writer.string(7, node.domain) }
                    for attribute in node.attributes { writer.message(5, attribute) }
                }
            }
            graph.string(2, "test")
            for initializer in self.initializers { graph.message(5, initializer) }
            for (name, type, dims) in self.inputs {
                graph.message(11) { info in
                    info.string(1, name)
                    info.message(2) { typeProto in
                        typeProto.message(1) { tensor in
                            tensor.int(1, type)
                            tensor.message(2) { shape in
                                for dim in dims {
                                    shape.message(1) { dimension in
                                        if dim >= 0 { dimension.int(1, dim) } else { dimension.string(2, "N") }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            for (name, type) in self.outputs {
                graph.message(12) { info in
                    info.string(1, name)
                    info.message(2) { typeProto in typeProto.message(1) { tensor in tensor.int(1, type) } }
                }
            }
            graph.int(99, 1)  // an unknown field, which readers must skip
        }
        return model.bytes
    }
}
