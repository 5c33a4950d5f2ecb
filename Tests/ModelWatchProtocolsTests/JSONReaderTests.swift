import Foundation
import Testing

@testable import ModelWatchProtocols

@Suite("JSON reader")
struct JSONReaderTests {
    private func parse(_ text: String, _ reader: JSONReader = JSONReader()) throws -> JSONValue {
        try reader.parse(Array(text.utf8))
    }

    private func failure(_ text: String, _ reader: JSONReader = JSONReader()) -> JSONReader.Failure.Reason? {
        do {
            _ = try reader.parse(Array(text.utf8))
            return nil
        } catch {
            return error.reason
        }
    }

    @Test("a TF Serving row-format request: numeric rows become packed number arrays, members keep order")
    func tfServingRequest() throws {
        let value = try self.parse(#"{"signature_name":"serving_default","instances":[[5.1,3.5,1.4,0.2],[6.2,3.4,5.4,2.3]]}"#)
        guard case .object(let members) = value else {
            Issue.record("expected an object")
            return
        }
        #expect(members.map(\.key) == ["signature_name", "instances"])
        #expect(value["signature_name"] == .string("serving_default"))
        #expect(value["instances"] == .array([.numbers([5.1, 3.5, 1.4, 0.2]), .numbers([6.2, 3.4, 5.4, 2.3])]))
    }

    @Test("NaN, Infinity and -Infinity literals are read as TF Serving sends them, and refused in strict mode")
    func nonFiniteLiterals() throws {
        let value = try self.parse("[NaN, Infinity, -Infinity, 1]")
        guard case .numbers(let numbers) = value else {
            Issue.record("expected numbers")
            return
        }
        #expect(numbers[0].isNaN)
        #expect(numbers[1] == .infinity)
        #expect(numbers[2] == -.infinity)
        #expect(self.failure("[NaN]", JSONReader(allowNonFiniteLiterals: false)) == .invalidNumber)
    }

    @Test("a mixed array keeps every value, numbers included")
    func mixedArray() throws {
        #expect(
            try self.parse(#"[1, "two", 3, null, true, {"b64":"AAE="}]"#)
                == .array([.number(1), .string("two"), .number(3), .null, .bool(true), .object([("b64", .string("AAE="))])]))
        #expect(try self.parse("[]") == .array([]))
        #expect(try self.parse("{}") == .object([]))
    }

    @Test(
        "numbers follow RFC 8259", arguments: [("0", 0.0), ("-0.5", -0.5), ("1e3", 1000), ("2.5E-3", 0.0025), ("123456789", 123_456_789)])
    func numbers(text: String, expected: Double) throws {
        #expect(try self.parse(text) == .number(expected))
    }

    @Test("escapes, including surrogate pairs, decode to the right characters")
    func escapes() throws {
        #expect(try self.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
        #expect(try self.parse(#""plain ünïcødé""#) == .string("plain ünïcødé"))
    }

    @Test(
        "malformed documents are refused with a reason",
        arguments: [
            (#"{"a":1"#, JSONReader.Failure.Reason.truncated),
            (#"{"a":1}}"#, .trailingData),
            ("[01]", .invalidNumber),
            ("[1.]", .invalidNumber),
            ("[-]", .invalidNumber),
            (#"{"a" 1}"#, .unexpectedCharacter),
            ("[1 2]", .unexpectedCharacter),
            ("tru", .truncated),
            ("nul!", .unexpectedCharacter),
            ("\"bad \\x escape\"", .invalidString),
            ("\"control \u{01} char\"", .invalidString),
            (#""\ud83d alone""#, .invalidString),
            ("", .truncated),
        ]
    )
    func malformed(text: String, reason: JSONReader.Failure.Reason) {
        #expect(self.failure(text) == reason)
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        let bytes: [UInt8] = Array(#"{"k":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: JSONReader.Failure.self) { try JSONReader().parse(bytes) }
    }

    @Test("deep nesting is refused before it can exhaust the stack")
    func tooDeep() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(self.failure(deep) == .tooDeep)
        #expect(self.failure(String(repeating: "[", count: 10) + String(repeating: "]", count: 10)) == nil)
    }

    @Test("documents with more values than the limit are refused")
    func tooLarge() {
        let reader = JSONReader(maxValues: 1000)
        let big = "[" + Array(repeating: "1", count: 2000).joined(separator: ",") + "]"
        #expect(self.failure(big, reader) == .tooLarge)
    }

    @Test("seeded random documents read the same as Foundation's JSONSerialization reads them")
    func agreesWithFoundation() throws {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<300 {
            let object = Self.randomValue(depth: 0, using: &generator)
            let data = try JSONSerialization.data(withJSONObject: ["v": object], options: [.fragmentsAllowed])
            let ours = try JSONReader().parse([UInt8](data))
            let theirs = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            #expect(Self.same(ours, theirs), "\(String(decoding: data, as: UTF8.self))")
        }
    }

    private static func randomValue(depth: Int, using generator: inout SeededGenerator) -> Any {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &generator) {
        case 0: return NSNull()
        case 1: return Double(Int.random(in: -1_000_000...1_000_000, using: &generator)) / 64
        case 2: return ["α", "b\"q", "c\\d", "e\nf", "😀", ""].randomElement(using: &generator)!
        case 3: return Bool.random(using: &generator)
        case 4: return (0..<Int.random(in: 0...5, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) }
        default:
            var object: [String: Any] = [:]
            for index in 0..<Int.random(in: 0...4, using: &generator) {
                object["k\(index)"] = randomValue(depth: depth + 1, using: &generator)
            }
            return object
        }
    }

    private static func same(_ ours: JSONValue, _ theirs: Any) -> Bool {
        switch ours {
        case .null: return theirs is NSNull
        case .bool(let value): return (theirs as? NSNumber).map { $0.boolValue == value } ?? false
        case .number(let value): return (theirs as? NSNumber).map { $0.doubleValue == value } ?? false
        case .string(let value): return (theirs as? String) == value
        case .numbers, .array:
            guard let values = ours.elements, let array = theirs as? [Any], values.count == array.count else { return false }
            return zip(values, array).allSatisfy { same($0, $1) }
        case .object(let members):
            guard let dictionary = theirs as? [String: Any], dictionary.count == members.count else { return false }
            return members.allSatisfy { member in dictionary[member.key].map { same(member.value, $0) } ?? false }
        }
    }
}

/// SplitMix64: a small seeded generator so the random corpus is the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("JSON numbers")
struct JSONNumberTests {
    /// Numbers in every form the grammar allows, with up to 25 significant digits and exponents
    /// far past the fast path's range: each must equal the standard library's correctly rounded
    /// parse, to the bit.
    @Test("the fast path and the fallback agree with Double(String) bit for bit")
    func agreesWithStandardLibrary() throws {
        var state: UInt64 = 7
        func next(_ bound: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) % bound
        }
        var texts: [String] = [
            "0", "-0", "0.0", "1e22", "1e23", "9007199254740993", "123456789012345678901234", "4.9e-324", "1.7976931348623157e308",
        ]
        for _ in 0..<20_000 {
            let digits = (0..<(1 + Int(next(25)))).map { _ in String(next(10)) }.joined()
            var text = digits.drop { $0 == "0" }.isEmpty ? "0" : String(digits.drop { $0 == "0" })
            if next(2) == 0, text.count > 1 {
                let point = text.index(text.startIndex, offsetBy: Int(next(UInt64(text.count - 1))) + 1)
                text.insert(".", at: point)
            } else if next(3) == 0 {
                text = "0." + String(repeating: "0", count: Int(next(6))) + text
            }
            if next(2) == 0 { text += (next(2) == 0 ? "e" : "E") + ["", "+", "-"][Int(next(3))] + String(next(40)) }
            if next(2) == 0 { text = "-" + text }
            texts.append(text)
        }
        let document = try JSONReader().parse(Array(("[" + texts.joined(separator: ",") + "]").utf8))
        guard case .numbers(let values) = document else {
            Issue.record("expected a packed numeric array")
            return
        }
        #expect(values.count == texts.count)
        for (text, value) in zip(texts, values) {
            let expected = try #require(Double(text), "\(text)")
            #expect(value.bitPattern == expected.bitPattern, "\(text): \(value) vs \(expected)")
        }
    }
}
