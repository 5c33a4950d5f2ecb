import ModelWatchReference
import Testing

/// The `.onnx` reader and the planner on models built byte by byte: what real converters write is
/// read, what cannot be honoured is refused with the error a user can act on.
@Suite struct ModelReaderTests {
    /// Y = relu(X · W + B) with W unpacked and B packed, duplicate opset entries and an unknown field.
    static func dense(opsets: [(String, Int64)] = [("", 13), ("", 17)]) -> TestModel {
        var model = TestModel()
        model.opsets = opsets
        model.initializers = [
            TestModel.floatTensor("W", dims: [3, 2], values: [1, 0, 0, 1, 1, 1], packed: false),
            TestModel.floatTensor("B", dims: [2], values: [0.5, -10]),
        ]
        model.nodes = [
            .init(op: "MatMul", inputs: ["X", "W"], outputs: ["P"]),
            .init(op: "Add", inputs: ["P", "B"], outputs: ["S"]),
            .init(op: "Relu", inputs: ["S"], outputs: ["Y"]),
        ]
        return model
    }

    @Test func readsPackedAndUnpackedFieldsAndDuplicateOpsets() throws {
        let model = try ReferenceModel(bytes: Self.dense().bytes)
        #expect(model.opsets[""] == 17)
        #expect(model.inputs.map(\.name) == ["X"])
        #expect(model.operatorCounts == ["MatMul": 1, "Add": 1, "Relu": 1])
        var session = model.makeSession()
        let output = try session.run(tensors: ["X": try Tensor(shape: [2, 3], floats: [1, 2, 3, -1, -2, -3])])
        #expect(output["Y"]?.tensor == (try Tensor(shape: [2, 2], floats: [4.5, 0, 0, 0])))
        // A session reuses its slots: a second run gives the same answer.
        let again = try session.run(tensors: ["X": try Tensor(shape: [1, 3], floats: [1, 2, 3])])
        #expect(again["Y"]?.tensor == (try Tensor(shape: [1, 2], floats: [4.5, 0])))
    }

    @Test func refusesAnUnknownOperatorNamingTheNode() throws {
        var model = Self.dense()
        model.nodes[2] = .init(op: "FancyRelu", inputs: ["S"], outputs: ["Y"])
        let error = try #require(throws: ReferenceError.self) { try ReferenceModel(bytes: model.bytes) }
        #expect(error.code == .unsupportedOperator)
        #expect(error.detail.contains("FancyRelu"))
        #expect(error.detail.contains("'Y'"))
    }

    @Test func refusesUnsupportedOpsetsAndDomains() throws {
        let newer = try #require(throws: ReferenceError.self) { try ReferenceModel(bytes: Self.dense(opsets: [("", 99)]).bytes) }
        #expect(newer.code == .unsupportedOpset)
        var custom = Self.dense(opsets: [("", 17), ("com.example", 1)])
        custom.nodes[2] = .init(op: "Relu", domain: "com.example", inputs: ["S"], outputs: ["Y"])
        let domain = try #require(throws: ReferenceError.self) { try ReferenceModel(bytes: custom.bytes) }
        #expect(domain.code == .unsupportedOpset)
        var old = Self.dense(opsets: [("", 5)])
        old.nodes = [.init(op: "Add", inputs: ["X", "X"], outputs: ["Y"])]
        let legacy = try #require(throws: ReferenceError.self) { try ReferenceModel(bytes: old.bytes) }
        #expect(legacy.code == .unsupportedOperator)
    }

    @Test func refusesExternalData() throws {
        var model = Self.dense()
        model.initializers[0] = { writer in
            writer.int(1, 3)
            writer.int(1, 2)
            writer.int(2, 1)
            writer.string(8, "W")
            writer.message(13) { entry in
                entry.string(1, "location")
                entry.string(2, "weights.bin")
            }
            writer.int(14, 1)
        }
        let error = try #require(throws: ReferenceError.self) { try ReferenceModel(bytes: model.bytes) }
        #expect(error.code == .externalData)
        #expect(error.detail.contains("'W'"))
    }

    @Test func refusesCyclesAndUndefinedInputs() throws {
        var cyclic = Self.dense()
        cyclic.nodes = [
            .init(op: "Add", inputs: ["X", "B2"], outputs: ["A2"]),
            .init(op: "Relu", inputs: ["A2"], outputs: ["B2"]),
            .init(op: "Relu", inputs: ["X"], outputs: ["Y"]),
        ]
        let cycle = try #require(throws: ReferenceError.self) { try ReferenceModel(bytes: cyclic.bytes) }
        #expect(cycle.code == .invalidGraph)
        #expect(cycle.detail.contains("cycle"))
        var dangling = Self.dense()
        dangling.nodes[1] = .init(op: "Add", inputs: ["P", "Nowhere"], outputs: ["S"])
        let undefined = try #require(throws: ReferenceError.self) { try ReferenceModel(bytes: dangling.bytes) }
        #expect(undefined.code == .invalidGraph)
        #expect(undefined.detail.contains("Nowhere"))
    }

    @Test func refusesUnsupportedInputTypes() throws {
        var model = Self.dense()
        model.inputs = [("X", 10, [-1, 3])]  // float16
        let error = try #require(throws: ReferenceError.self) { try ReferenceModel(bytes: model.bytes) }
        #expect(error.code == .unsupportedType)
        #expect(error.detail.contains("float16"))
    }

    @Test func refusesWrongInputsAtRunTime() throws {
        var session = try ReferenceModel(bytes: Self.dense().bytes).makeSession()
        let missing = try #require(throws: ReferenceError.self) { try session.run(tensors: [:]) }
        #expect(missing.code == .invalidInput)
        let wrongType = try #require(throws: ReferenceError.self) {
            try session.run(tensors: ["X": try Tensor(shape: [1, 3], int64s: [1, 2, 3])])
        }
        #expect(wrongType.code == .invalidInput)
        #expect(wrongType.detail.contains("int64"))
        let wrongShape = try #require(throws: ReferenceError.self) {
            try session.run(tensors: ["X": try Tensor(shape: [1, 4], floats: [1, 2, 3, 4])])
        }
        #expect(wrongShape.code == .invalidInput)
        // The session still works after refusing.
        let output = try session.run(tensors: ["X": try Tensor(shape: [1, 3], floats: [0, 0, 0])])
        #expect(output["Y"]?.tensor == (try Tensor(shape: [1, 2], floats: [0.5, 0])))
    }

    @Test func refusesTruncatedFilesAtEveryLength() throws {
        let bytes = Self.dense().bytes
        var malformed = 0
        for length in 0..<bytes.count {
            do {
                _ = try ReferenceModel(bytes: Array(bytes.prefix(length)))
            } catch {
                if error.code == .malformed { malformed += 1 }
            }
        }
        #expect(malformed > bytes.count / 2)
        let error = try #require(throws: ReferenceError.self) { try ReferenceModel(bytes: Array(bytes.prefix(bytes.count - 3))) }
        #expect(error.code == .malformed)
    }

    @Test func refusesMissingFiles() throws {
        let error = try #require(throws: ReferenceError.self) { try ReferenceModel(contentsOf: "/nonexistent/model.onnx") }
        #expect(error.code == .unreadable)
    }
}

/// Types followed through the graph at load.
@Suite struct TypeCheckTests {
    @Test func refusesMismatchedTypesAtLoadNamingTheNode() throws {
        var model = ModelReaderTests.dense()
        model.nodes.append(.init(op: "Shape", inputs: ["Y"], outputs: ["Dims"]))
        model.nodes.append(.init(op: "Add", inputs: ["Y", "Dims"], outputs: ["Z"]))
        model.outputs = [("Z", 1)]
        let error = try #require(throws: ReferenceError.self) { try ReferenceModel(bytes: model.bytes) }
        #expect(error.code == .invalidGraph)
        #expect(error.detail.contains("Add"))
        #expect(error.detail.contains("float and int64"))
    }

    @Test func refusesAnOutputDeclaredWithAnotherType() throws {
        var model = ModelReaderTests.dense()
        model.outputs = [("Y", 7)]
        let error = try #require(throws: ReferenceError.self) { try ReferenceModel(bytes: model.bytes) }
        #expect(error.code == .invalidGraph)
        #expect(error.detail.contains("declared int64"))
    }
}
