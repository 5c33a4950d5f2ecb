import Testing

@testable import ModelWatchProtocols

/// The direct reader must never change what the codec answers: whatever it takes, it decodes as the
/// tree does, and whatever it leaves goes to the tree. These tests compare both paths.
@Suite("Open Inference Protocol v2 direct reader")
struct OpenInferenceDirectReaderTests {
    static let strict = JSONReader(allowNonFiniteLiterals: false)
    static let lenient = JSONReader(allowNonFiniteLiterals: true)

    /// What the direct reader alone makes of a body.
    private static func direct(_ body: [UInt8], field: String, reader: JSONReader) -> DecodedPayload? {
        body.withUnsafeBytes { buffer in
            var direct = OpenInferenceDirectReader(bytes: buffer, reader: reader, field: field)
            return direct.decode()
        }
    }

    private static func throughTree(_ body: [UInt8], field: String, reader: JSONReader) -> Result<DecodedPayload, PayloadDecodeFailure> {
        do throws(PayloadDecodeFailure) {
            return .success(try OpenInferenceCodec(reader: reader).decodeThroughTree(body[...], blobBytes: 0, field: field))
        } catch {
            return .failure(error)
        }
    }

    private static func codec(_ body: [UInt8], field: String, reader: JSONReader) -> Result<DecodedPayload, PayloadDecodeFailure> {
        let codec = OpenInferenceCodec(reader: reader)
        do throws(PayloadDecodeFailure) {
            return .success(field == "inputs" ? try codec.decodeRequest(body) : try codec.decodeResponse(body))
        } catch {
            return .failure(error)
        }
    }

    /// Compares both paths; NaN compares equal to NaN through the values' descriptions.
    /// - Returns: whether the direct reader took the body.
    @discardableResult
    private static func expectSameAnswer(_ text: String, field: String = "inputs", reader: JSONReader = strict) -> Bool {
        let body = Array(text.utf8)
        let tree = Self.throughTree(body, field: field, reader: reader)
        let answered = Self.codec(body, field: field, reader: reader)
        #expect(String(reflecting: answered) == String(reflecting: tree), "\(text)")
        guard let direct = Self.direct(body, field: field, reader: reader) else { return false }
        #expect(String(reflecting: Result<DecodedPayload, PayloadDecodeFailure>.success(direct)) == String(reflecting: tree), "\(text)")
        return true
    }

    @Test(
        "the forms clients and servers send are read directly, as the tree reads them",
        arguments: [
            #"{"id":"bench","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}"#,
            #" { "inputs" : [ { "name" : "x" , "shape" : [ 2 ] , "datatype" : "INT64" , "data" : [ -1 , 2e3 ] } ] } "#,
            #"{"inputs":[{"name":"a","shape":[0],"datatype":"FP32","data":[]},{"name":"b","shape":[],"datatype":"FP64","data":[7]}]}"#,
            #"{"inputs":[],"model_name":"m"}"#,
            #"{"in\u0070uts":[{"na\u006de":"caf\u00e9","shape":[1],"datatype":"UINT8","data":[1],"extra":{"deep":[[[null,true]]]}}]}"#,
            #"{"inputs":[{"name":"x","shape":[1.0],"datatype":"FP16","parameters":{"content_type":"np","n":[1,{}]},"data":[12345678901234567890]}]}"#,
        ])
    func commonFormsReadDirectly(_ text: String) {
        #expect(Self.expectSameAnswer(text))
    }

    @Test(
        "a response's model and version, strings or not, are what the tree reports",
        arguments: [
            #"{"model_name":"iris","model_version":"v1","id":"bench","parameters":{},"outputs":[{"name":"predict","shape":[1,1],"datatype":"INT64","parameters":{"content_type":"np"},"data":[0]}]}"#,
            #"{"model_name":7,"model_version":null,"outputs":[{"name":"p","shape":[1],"datatype":"INT64","data":[0]}]}"#,
            #"{"outputs":[{"name":"p","shape":[1],"datatype":"INT64","data":[0]}],"model_name":{"a":[1]},"model_version":"2"}"#,
        ])
    func responsesReadDirectly(_ text: String) {
        #expect(Self.expectSameAnswer(text, field: "outputs"))
    }

    @Test(
        "malformed, wrong-shape and rarer bodies give exactly the tree's answer",
        arguments: [
            "", "[]", "{}", #"{"inputs":{}}"#, #"{"inputs":[1]}"#, #"{"inputs":[{}]}"#,
            #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]"#,
            #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]} x"#,
            #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1,]}]}"#,
            #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[01]}]}"#,
            #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[NaN]}]}"#,
            #"{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1]}]}"#,
            #"{"inputs":[{"name":"x","shape":[-1],"datatype":"FP32","data":[]}]}"#,
            #"{"inputs":[{"name":"x","shape":[1.5],"datatype":"FP32","data":[1]}]}"#,
            #"{"inputs":[{"name":"x","shape":[1e12],"datatype":"FP32","data":[1]}]}"#,
            #"{"inputs":[{"name":"x","shape":[1048576,1048576],"datatype":"FP32","data":[1]}]}"#,
            #"{"inputs":[{"name":"x","shape":"1","datatype":"FP32","data":[1]}]}"#,
            #"{"inputs":[{"name":"x","shape":[1,"2"],"datatype":"FP32","data":[1,2]}]}"#,
            #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP31","data":[1]}]}"#,
            #"{"inputs":[{"name":1,"shape":[1],"datatype":"FP32","data":[1]}]}"#,
            #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32"}]}"#,
            #"{"inputs":[{"name":"x","shape":[2],"datatype":"BOOL","data":[true,false]}]}"#,
            #"{"inputs":[{"name":"x","shape":[2],"datatype":"BOOL","data":[1,0]}]}"#,
            #"{"inputs":[{"name":"x","shape":[0],"datatype":"BYTES","data":[]}]}"#,
            #"{"inputs":[{"name":"x","shape":[2],"datatype":"BYTES","data":["a","b"]}]}"#,
            #"{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[[1,2]]}]}"#,
            #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":5}]}"#,
            #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}"#,
            #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":"4"},"data":[1]}]}"#,
            #"{"inputs":[{"name":"x","name":"y","shape":[1],"datatype":"FP32","data":[1]}]}"#,
            #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"data":[2,3]}]}"#,
            #"{"inputs":[],"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}"#,
            #"{"model_name":"a","model_name":"b","inputs":[]}"#,
            #"{"inputs":[{"name":"x\u","shape":[1],"datatype":"FP32","data":[1]}]}"#,
            #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"extra":[tru]}"#,
        ])
    func failuresAndRareFormsMatch(_ text: String) {
        Self.expectSameAnswer(text)
        Self.expectSameAnswer(text, reader: Self.lenient)
    }

    @Test("member names that are not ASCII are checked as the tree checks them")
    func memberNamesBeyondASCII() {
        #expect(Self.expectSameAnswer(#"{"ïnputs":{"é":[1]},"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"ñ":2}]}"#))
        let valid = Array(#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"#.utf8)
        for name in [[0xC3, 0x28], [0xFF], [0xE2, 0x82]] as [[UInt8]] {
            let body = valid + [UInt8(ascii: "\"")] + name + Array(#"":0}]}"#.utf8)
            #expect(Self.direct(body, field: "inputs", reader: Self.strict) == nil)
            #expect(throws: PayloadDecodeFailure.self) { try OpenInferenceCodec().decodeRequest(body) }
        }
    }

    @Test("NaN and Infinity: refused by default, read directly when the reader allows them")
    func nonFiniteLiterals() {
        let text = #"{"inputs":[{"name":"x","shape":[3],"datatype":"FP64","data":[NaN,Infinity,-Infinity]}]}"#
        #expect(!Self.expectSameAnswer(text))
        #expect(Self.expectSameAnswer(text, reader: Self.lenient))
    }

    @Test("nesting at the reader's depth limit is refused exactly where the tree refuses it")
    func depthLimit() {
        for depth in 60...66 {
            let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let objects = String(repeating: #"{"k":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
            for nested in [arrays, objects] {
                for text in [
                    #"{"extra":\#(nested),"inputs":[]}"#,
                    #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"extra":\#(nested)}]}"#,
                    #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"parameters":{"p":\#(nested)}}]}"#,
                ] {
                    Self.expectSameAnswer(text)
                }
            }
        }
        for maxDepth in 0...6 {
            let reader = JSONReader(maxDepth: maxDepth, allowNonFiniteLiterals: false)
            Self.expectSameAnswer(#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}"#, reader: reader)
            Self.expectSameAnswer(
                #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"parameters":{"p":[]}}]}"#, reader: reader)
            Self.expectSameAnswer(#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"extra":[]}],"id":{}}"#, reader: reader)
        }
    }

    @Test("a body with more values than the reader allows is left to the tree, which refuses it")
    func valueLimit() {
        let reader = JSONReader(maxValues: 8, allowNonFiniteLiterals: false)
        #expect(!Self.expectSameAnswer(#"{"inputs":[{"name":"x","shape":[4],"datatype":"FP32","data":[1,2,3,4]}]}"#, reader: reader))
    }

    @Test("a large batch is read directly, value for value")
    func largeBatch() {
        let rows = 20_000
        let data = (0..<(rows * 4)).map { String(Double($0) * 0.37 - 1000) }.joined(separator: ",")
        let text = #"{"inputs":[{"name":"x","shape":[\#(rows),4],"datatype":"FP32","data":[\#(data)]}]}"#
        #expect(Self.expectSameAnswer(text))
    }

    @Test("generated bodies, valid and damaged, get the tree's answer")
    func generatedBodies() {
        var generator = BodyGenerator(seed: 0x5EED_0517)
        var taken = 0
        let count = 4_000
        for round in 0..<count {
            let field = round.isMultiple(of: 2) ? "inputs" : "outputs"
            var body = generator.document(field: field)
            if generator.chance(3) { body = generator.damaged(body) }
            let reader = generator.chance(4) ? Self.lenient : Self.strict
            if Self.expectSameAnswer(body, field: field, reader: reader) { taken += 1 }
        }
        // The comparison says something only if the direct reader took a good share of them.
        #expect(taken > count / 10, "the direct reader took \(taken) of \(count)")
    }
}

/// Bodies in the shapes OIP payloads take, with the mistakes and oddities clients make.
private struct BodyGenerator {
    private var random: SeededGenerator

    init(seed: UInt64) {
        self.random = SeededGenerator(seed: seed)
    }

    mutating func below(_ bound: Int) -> Int { Int(self.random.next() % UInt64(bound)) }

    /// True one time in `odds`.
    mutating func chance(_ odds: Int) -> Bool { self.below(odds) == 0 }

    mutating func pick(_ choices: [String]) -> String { choices[self.below(choices.count)] }

    private mutating func space() -> String { self.chance(5) ? self.pick([" ", "\n", "\t ", "\r\n  "]) : "" }

    private mutating func number() -> String {
        self.pick(["0", "1", "-1", "2.5", "1e3", "-0.001", "3.14159", "1E-5", "12345678901234567890", "NaN", "-Infinity", "0.1e400"])
    }

    private mutating func scalar(depth: Int = 0) -> String {
        switch self.below(depth > 2 ? 5 : 7) {
        case 0: return self.number()
        case 1: return self.pick(["\"s\"", "\"caf\\u00e9\"", "\"\"", "\"\\n\""])
        case 2: return self.pick(["true", "false", "null"])
        case 3: return "[" + (0..<self.below(3)).map { _ in self.number() }.joined(separator: ",") + "]"
        case 4: return "{}"
        case 5: return "[" + (0..<self.below(3)).map { _ in self.scalar(depth: depth + 1) }.joined(separator: ",") + "]"
        default: return "{\"k\":" + self.scalar(depth: depth + 1) + "}"
        }
    }

    private mutating func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\(self.space())\"\($0.0)\"\(self.space()):\(self.space())\($0.1)\(self.space())" }.joined(separator: ",") + "}"
    }

    private mutating func tensor() -> String {
        let dimensions = (0..<self.below(4)).map { _ in self.below(4) }
        let elements = dimensions.reduce(1, *) + (self.chance(8) ? 1 : 0)
        var members: [(String, String)] = []
        if !self.chance(12) { members.append(("name", self.chance(10) ? "3" : "\"in-\(self.below(9))\"")) }
        if !self.chance(12) {
            members.append(("datatype", "\"" + self.pick(["FP32", "FP64", "INT64", "UINT8", "FP16", "BOOL", "BYTES", "FOO"]) + "\""))
        }
        if !self.chance(12) {
            let shape =
                self.chance(10)
                ? self.pick(["[1.5]", "[-1]", "[1e12]", "\"2\"", "[[2]]", "[2,\"1\"]", "[1048576,1048576]"])
                : "[" + dimensions.map(String.init).joined(separator: ",") + "]"
            members.append(("shape", shape))
        }
        if !self.chance(12) {
            let flat = (0..<elements).map { _ in self.number() }
            let data: String
            switch self.below(12) {
            case 0: data = "[" + (0..<elements).map { _ in self.pick(["true", "false"]) }.joined(separator: ",") + "]"
            case 1: data = "[" + (0..<elements).map { _ in "\"b\"" }.joined(separator: ",") + "]"
            case 2: data = "[[" + flat.joined(separator: ",") + "]]"
            case 3: data = self.scalar()
            default: data = "[" + flat.map { "\(self.space())\($0)" }.joined(separator: ",") + "]"
            }
            members.append(("data", data))
        }
        if self.chance(3) {
            members.append(
                ("parameters", self.pick(["{}", "{\"content_type\":\"np\"}", "{\"binary_data_size\":4}", "[]", "{\"p\":[{}]}"])))
        }
        if self.chance(5) { members.append((self.pick(["extra", "name", "data"]), self.scalar())) }
        return self.object(self.shuffled(members))
    }

    private mutating func shuffled(_ members: [(String, String)]) -> [(String, String)] {
        var members = members
        for index in members.indices.reversed() where index > 0 {
            members.swapAt(index, self.below(index + 1))
        }
        return members
    }

    mutating func document(field: String) -> String {
        var members: [(String, String)] = []
        if self.chance(2) { members.append(("id", "\"r\(self.below(100))\"")) }
        if self.chance(2) { members.append(("model_name", self.chance(6) ? self.scalar() : "\"iris\"")) }
        if self.chance(3) { members.append(("model_version", self.chance(6) ? self.scalar() : "\"v1\"")) }
        if self.chance(3) { members.append(("parameters", self.scalar())) }
        if !self.chance(15) {
            let list =
                self.chance(15) ? self.scalar() : "[" + (0..<self.below(4)).map { _ in self.tensor() }.joined(separator: ",") + "]"
            members.append((field, list))
        }
        if self.chance(15) { members.append((self.pick([field, "model_name", "x"]), self.scalar())) }
        return self.space() + self.object(self.shuffled(members)) + self.space()
    }

    /// The body cut short, or with one byte replaced or added.
    mutating func damaged(_ body: String) -> String {
        var bytes = Array(body.utf8)
        guard !bytes.isEmpty else { return body }
        let position = self.below(bytes.count)
        let replacement = Array(self.pick([",", "]", "}", "\"", "{", "[", ":", "0", "-", "\\", "\u{1}", "é"]).utf8)
        switch self.below(3) {
        case 0: bytes.removeSubrange(position...)
        case 1: bytes.replaceSubrange(position...position, with: replacement)
        default: bytes.insert(contentsOf: replacement, at: position)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
