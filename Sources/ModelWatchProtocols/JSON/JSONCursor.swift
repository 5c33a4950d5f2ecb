/// Reads JSON values from bytes in place, one at a time: `JSONReader` builds a tree with it, and a
/// codec that knows its payload's layout can read the members it needs straight from the bytes.
struct JSONCursor {
    let bytes: UnsafeRawBufferPointer
    let reader: JSONReader
    var offset = 0
    var values = 0

    init(bytes: UnsafeRawBufferPointer, reader: JSONReader) {
        self.bytes = bytes
        self.reader = reader
    }

    func fail(_ reason: JSONReader.Failure.Reason) -> JSONReader.Failure {
        JSONReader.Failure(reason: reason, offset: self.offset)
    }

    mutating func skipWhitespace() {
        while self.offset < self.bytes.count {
            switch self.bytes[self.offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): self.offset += 1
            default: return
            }
        }
    }

    private mutating func count() throws(JSONReader.Failure) {
        self.values += 1
        if self.values > self.reader.maxValues { throw self.fail(.tooLarge) }
    }

    mutating func value(depth: Int) throws(JSONReader.Failure) -> JSONValue {
        self.skipWhitespace()
        guard self.offset < self.bytes.count else { throw self.fail(.truncated) }
        try self.count()
        switch self.bytes[self.offset] {
        case UInt8(ascii: "{"): return try self.object(depth: depth + 1)
        case UInt8(ascii: "["): return try self.array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "t"):
            try self.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.literal("null")
            return .null
        default: return .number(try self.number())
        }
    }

    /// Checks and steps over one value as `value(depth:)` would read it, without building it, so a
    /// reader that wants a few members accepts and refuses exactly what the tree would.
    mutating func skipValue(depth: Int) throws(JSONReader.Failure) {
        self.skipWhitespace()
        guard self.offset < self.bytes.count else { throw self.fail(.truncated) }
        try self.count()
        switch self.bytes[self.offset] {
        case UInt8(ascii: "{"):
            guard depth + 1 <= self.reader.maxDepth else { throw self.fail(.tooDeep) }
            guard self.enter(closing: UInt8(ascii: "}")) else { return }
            repeat {
                _ = try self.memberName()
                try self.skipValue(depth: depth + 1)
            } while try self.separator(closing: UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            guard depth + 1 <= self.reader.maxDepth else { throw self.fail(.tooDeep) }
            guard self.enter(closing: UInt8(ascii: "]")) else { return }
            repeat {
                try self.skipValue(depth: depth + 1)
            } while try self.separator(closing: UInt8(ascii: "]"))
        case UInt8(ascii: "\""): _ = try self.string()
        case UInt8(ascii: "t"): try self.literal("true")
        case UInt8(ascii: "f"): try self.literal("false")
        case UInt8(ascii: "n"): try self.literal("null")
        default: _ = try self.number()
        }
    }

    /// Steps past the opening bracket under the cursor.
    /// - Returns: `false` when the container is empty; its closing bracket is then read too.
    mutating func enter(closing: UInt8) -> Bool {
        self.offset += 1
        guard self.peek() == closing else { return true }
        self.offset += 1
        return false
    }

    /// Reads an object member's name and the `:` after it.
    mutating func memberName() throws(JSONReader.Failure) -> String {
        try self.expect(UInt8(ascii: "\""))
        let key = try self.string()
        try self.expect(UInt8(ascii: ":"))
        self.offset += 1
        return key
    }

    /// Skips blanks and checks the next byte is `byte`, without consuming it.
    private mutating func expect(_ byte: UInt8) throws(JSONReader.Failure) {
        self.skipWhitespace()
        guard self.offset < self.bytes.count else { throw self.fail(.truncated) }
        guard self.bytes[self.offset] == byte else { throw self.fail(.unexpectedCharacter) }
    }

    /// The next non-blank byte, not consumed; `nil` at the end.
    mutating func peek() -> UInt8? {
        self.skipWhitespace()
        return self.offset < self.bytes.count ? self.bytes[self.offset] : nil
    }

    mutating func literal(_ word: StaticString) throws(JSONReader.Failure) {
        let length = word.utf8CodeUnitCount
        guard self.offset + length <= self.bytes.count else { throw self.fail(.truncated) }
        for index in 0..<length where self.bytes[self.offset + index] != word.utf8Start[index] {
            throw self.fail(.unexpectedCharacter)
        }
        self.offset += length
    }

    private mutating func object(depth: Int) throws(JSONReader.Failure) -> JSONValue {
        guard depth <= self.reader.maxDepth else { throw self.fail(.tooDeep) }
        self.offset += 1  // {
        var members: [(key: String, value: JSONValue)] = []
        self.skipWhitespace()
        if self.offset < self.bytes.count, self.bytes[self.offset] == UInt8(ascii: "}") {
            self.offset += 1
            return .object(members)
        }
        while true {
            let key = try self.memberName()
            members.append((key, try self.value(depth: depth)))
            guard try self.separator(closing: UInt8(ascii: "}")) else { return .object(members) }
        }
    }

    private mutating func array(depth: Int) throws(JSONReader.Failure) -> JSONValue {
        guard depth <= self.reader.maxDepth else { throw self.fail(.tooDeep) }
        self.offset += 1  // [
        self.skipWhitespace()
        if self.offset < self.bytes.count, self.bytes[self.offset] == UInt8(ascii: "]") {
            self.offset += 1
            return .array([])
        }
        // Optimistically read a flat numeric array; fall back to general values at the first non-number.
        var numbers: [Double] = []
        while true {
            self.skipWhitespace()
            guard self.offset < self.bytes.count else { throw self.fail(.truncated) }
            guard Self.startsNumber(self.bytes[self.offset]) else { break }
            try self.count()
            numbers.append(try self.number())
            guard try self.separator(closing: UInt8(ascii: "]")) else { return .numbers(numbers) }
        }
        var values = numbers.map(JSONValue.number)
        while true {
            values.append(try self.value(depth: depth))
            guard try self.separator(closing: UInt8(ascii: "]")) else { return .array(values) }
        }
    }

    /// Consumes `,` (returns true) or the closing bracket (returns false).
    mutating func separator(closing: UInt8) throws(JSONReader.Failure) -> Bool {
        self.skipWhitespace()
        guard self.offset < self.bytes.count else { throw self.fail(.truncated) }
        switch self.bytes[self.offset] {
        case UInt8(ascii: ","):
            self.offset += 1
            return true
        case closing:
            self.offset += 1
            return false
        default:
            throw self.fail(.unexpectedCharacter)
        }
    }

    static func startsNumber(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "N") || byte == UInt8(ascii: "I")
    }

    /// Exact powers of ten for the fast path (all exactly representable as doubles).
    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Reads a number, checking RFC 8259's grammar as it goes.
    ///
    /// Most numbers in payloads have few significant digits and small exponents; those are
    /// converted exactly by one multiplication or division of two exactly representable doubles
    /// (Clinger's fast path). Anything else goes to the standard library's correctly rounded parser.
    mutating func number() throws(JSONReader.Failure) -> Double {
        let start = self.offset
        if self.reader.allowNonFiniteLiterals, let special = self.nonFiniteLiteral() {
            return special
        }
        let bytes = self.bytes
        var index = self.offset
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        var exact = true
        func digit(at position: Int) -> UInt64? {
            guard position < bytes.count else { return nil }
            let value = bytes[position] &- UInt8(ascii: "0")
            return value < 10 ? UInt64(value) : nil
        }
        func accumulate(_ value: UInt64, fractional: Bool) {
            if mantissa == 0 && value == 0 {
                if fractional { exponent -= 1 }
            } else if significantDigits < 19 {
                mantissa = mantissa * 10 + value
                significantDigits += 1
                if fractional { exponent -= 1 }
            } else {
                exact = false
                if !fractional { exponent += 1 }
            }
        }

        let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        let integerStart = index
        while let value = digit(at: index) {
            accumulate(value, fractional: false)
            index += 1
        }
        let integerDigits = index - integerStart
        guard integerDigits > 0 else { throw self.fail(index >= bytes.count ? .truncated : .invalidNumber) }
        // RFC 8259: no leading zeros.
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw self.fail(.invalidNumber) }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while let value = digit(at: index) {
                accumulate(value, fractional: true)
                index += 1
            }
            guard index > fractionStart else { throw self.fail(.invalidNumber) }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            let exponentStart = index
            var written = 0
            while let value = digit(at: index) {
                written = min(written * 10 + Int(value), 100_000)
                index += 1
            }
            guard index > exponentStart else { throw self.fail(.invalidNumber) }
            exponent += exponentNegative ? -written : written
        }
        self.offset = index
        if exact, mantissa < 1 << 53, exponent >= -22, exponent <= 22 {
            let magnitude = Double(mantissa)
            let value = exponent < 0 ? magnitude / Self.powersOfTen[-exponent] : magnitude * Self.powersOfTen[exponent]
            return negative ? -value : value
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text) else {
            self.offset = start
            throw self.fail(.invalidNumber)
        }
        return value
    }

    /// `NaN`, `Infinity` or `-Infinity`, as TF Serving writes them.
    private mutating func nonFiniteLiteral() -> Double? {
        guard self.offset < self.bytes.count else { return nil }
        let first = self.bytes[self.offset]
        let minusInfinity =
            first == UInt8(ascii: "-") && self.offset + 1 < self.bytes.count && self.bytes[self.offset + 1] == UInt8(ascii: "I")
        guard first == UInt8(ascii: "N") || first == UInt8(ascii: "I") || minusInfinity else { return nil }
        for (word, value) in [("NaN", Double.nan), ("Infinity", .infinity), ("-Infinity", -.infinity)] as [(StaticString, Double)] {
            let count = word.utf8CodeUnitCount
            guard self.offset + count <= self.bytes.count else { continue }
            let matches = word.withUTF8Buffer { literal in
                literal.elementsEqual(UnsafeRawBufferPointer(rebasing: self.bytes[self.offset..<(self.offset + count)]))
            }
            if matches {
                self.offset += count
                return value
            }
        }
        return nil
    }

    mutating func string() throws(JSONReader.Failure) -> String {
        let span = try self.stringSpan()
        guard span.escaped else {
            // ASCII needs no validation; `String(validating:)` costs a generic-metadata lookup per
            // call, which dominated decoding of small payloads whose keys are all ASCII.
            if span.ascii { return String(decoding: span.raw, as: UTF8.self) }
            guard let text = String(validating: span.raw, as: UTF8.self) else { throw self.fail(.invalidString) }
            return text
        }
        return try self.unescape(span.raw)
    }

    /// Reads an object member's name and the `:` after it, as `memberName()` does, and says which
    /// of `names` it is without making a string of it: a reader that wants a few members compares
    /// every name it meets.
    /// - Returns: the index in `names`, or `nil` for any other name.
    mutating func memberName(among names: [[UInt8]]) throws(JSONReader.Failure) -> Int? {
        try self.expect(UInt8(ascii: "\""))
        let span = try self.stringSpan()
        let index: Int?
        if span.escaped {
            let text = try self.unescape(span.raw)
            index = names.firstIndex { text.utf8.elementsEqual($0) }
        } else if span.ascii {
            index = names.firstIndex { span.raw.elementsEqual($0) }
        } else {
            // Names the readers look for are ASCII; this one only has to be valid UTF-8.
            guard String(validating: span.raw, as: UTF8.self) != nil else { throw self.fail(.invalidString) }
            index = nil
        }
        try self.expect(UInt8(ascii: ":"))
        self.offset += 1
        return index
    }

    /// Steps over a string from its opening quote to past its closing one, checking its bytes.
    /// - Returns: its raw bytes between the quotes, whether it has escapes, whether it is all ASCII.
    private mutating func stringSpan() throws(JSONReader.Failure) -> (raw: UnsafeRawBufferPointer, escaped: Bool, ascii: Bool) {
        self.offset += 1  // opening quote
        let start = self.offset
        var needsUnescaping = false
        var isASCII = true
        while true {
            guard self.offset < self.bytes.count else { throw self.fail(.truncated) }
            let byte = self.bytes[self.offset]
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw self.fail(.invalidString) }
            if byte >= 0x80 { isASCII = false }
            if byte == UInt8(ascii: "\\") {
                needsUnescaping = true
                self.offset += 1
                guard self.offset < self.bytes.count else { throw self.fail(.truncated) }
            }
            self.offset += 1
        }
        let raw = UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.offset])
        self.offset += 1  // closing quote
        return (raw, needsUnescaping, isASCII)
    }

    private func unescape(_ raw: UnsafeRawBufferPointer) throws(JSONReader.Failure) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(raw.count)
        var index = 0
        func hex4() throws(JSONReader.Failure) -> UInt32 {
            guard index + 4 < raw.count + 1 else { throw self.fail(.invalidString) }
            var value: UInt32 = 0
            for offset in 0..<4 {
                guard index + offset < raw.count, let digit = Int(String(UnicodeScalar(raw[index + offset])), radix: 16) else {
                    throw self.fail(.invalidString)
                }
                value = value << 4 | UInt32(digit)
            }
            index += 4
            return value
        }
        while index < raw.count {
            let byte = raw[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                continue
            }
            let escape = raw[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escape)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard index + 1 < raw.count, raw[index] == UInt8(ascii: "\\"), raw[index + 1] == UInt8(ascii: "u") else {
                        throw self.fail(.invalidString)
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw self.fail(.invalidString) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw self.fail(.invalidString) }
                output.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                throw self.fail(.invalidString)
            }
        }
        guard let text = String(validating: output, as: UTF8.self) else { throw self.fail(.invalidString) }
        return text
    }
}
