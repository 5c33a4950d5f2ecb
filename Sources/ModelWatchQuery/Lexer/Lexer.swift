/// Splits a PromQL expression into tokens.
///
/// Durations (`5m`, `1h30m`) are told from numbers by their unit; `Inf` and `NaN` in any case are
/// numbers, as Prometheus lexes them.
struct Lexer {
    private let bytes: [UInt8]
    private var index = 0

    init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    /// Every token of the expression, ending with `.end`.
    mutating func tokenize() throws(QueryError) -> [Token] {
        var tokens: [Token] = []
        while true {
            let token = try self.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private var peek: UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

    private func peek(at offset: Int) -> UInt8? {
        self.index + offset < self.bytes.count ? self.bytes[self.index + offset] : nil
    }

    private mutating func next() throws(QueryError) -> Token {
        self.skipSpaceAndComments()
        let start = self.index
        guard let byte = self.peek else { return Token(kind: .end, text: "", offset: start) }
        func single(_ kind: Token.Kind, _ length: Int = 1) -> Token {
            self.index += length
            return Token(kind: kind, text: String(decoding: self.bytes[start..<self.index], as: UTF8.self), offset: start)
        }
        switch byte {
        case UInt8(ascii: "("): return single(.leftParen)
        case UInt8(ascii: ")"): return single(.rightParen)
        case UInt8(ascii: "{"): return single(.leftBrace)
        case UInt8(ascii: "}"): return single(.rightBrace)
        case UInt8(ascii: "["): return single(.leftBracket)
        case UInt8(ascii: "]"): return single(.rightBracket)
        case UInt8(ascii: ","): return single(.comma)
        case UInt8(ascii: ":"): return single(.colon)
        case UInt8(ascii: "@"): return single(.at)
        case UInt8(ascii: "+"): return single(.add)
        case UInt8(ascii: "-"): return single(.sub)
        case UInt8(ascii: "*"): return single(.mul)
        case UInt8(ascii: "/"): return single(.div)
        case UInt8(ascii: "%"): return single(.mod)
        case UInt8(ascii: "^"): return single(.pow)
        case UInt8(ascii: "="):
            if self.peek(at: 1) == UInt8(ascii: "=") { return single(.eql, 2) }
            if self.peek(at: 1) == UInt8(ascii: "~") { return single(.regexMatch, 2) }
            return single(.assign)
        case UInt8(ascii: "!"):
            if self.peek(at: 1) == UInt8(ascii: "=") { return single(.neq, 2) }
            if self.peek(at: 1) == UInt8(ascii: "~") { return single(.regexNotMatch, 2) }
            throw self.error("unexpected character after '!': \(self.describe(self.peek(at: 1)))", at: start)
        case UInt8(ascii: "<"):
            return self.peek(at: 1) == UInt8(ascii: "=") ? single(.lte, 2) : single(.lss)
        case UInt8(ascii: ">"):
            return self.peek(at: 1) == UInt8(ascii: "=") ? single(.gte, 2) : single(.gtr)
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
            return try self.string()
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."):
            return try self.numberOrDuration()
        default:
            if Self.isIdentifierStart(byte) { return self.identifier() }
            throw self.error("unexpected character: \(self.describe(byte))", at: start)
        }
    }

    private func describe(_ byte: UInt8?) -> String {
        guard let byte else { return "end of input" }
        return "'\(String(decoding: [byte], as: UTF8.self))'"
    }

    private mutating func skipSpaceAndComments() {
        while let byte = self.peek {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                self.index += 1
            } else if byte == UInt8(ascii: "#") {
                while let next = self.peek, next != UInt8(ascii: "\n") { self.index += 1 }
            } else {
                return
            }
        }
    }

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
    }

    static func isIdentifierPart(_ byte: UInt8) -> Bool {
        Self.isIdentifierStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private mutating func identifier() -> Token {
        let start = self.index
        while let byte = self.peek, Self.isIdentifierPart(byte) { self.index += 1 }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        switch text.lowercased() {
        case "inf": return Token(kind: .number, text: text, offset: start, number: .infinity)
        case "nan": return Token(kind: .number, text: text, offset: start, number: .nan)
        default: return Token(kind: .identifier, text: text, offset: start)
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        Self.isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }

    private mutating func numberOrDuration() throws(QueryError) -> Token {
        let start = self.index
        // A duration is digits followed by a unit, repeated: `1h30m`, `5m`, `100ms`.
        if let duration = Self.scanDuration(self.bytes, from: start) {
            self.index = duration.end
            let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
            // Prometheus keeps durations in nanoseconds: about 292 years at most.
            guard duration.milliseconds <= Self.longestDuration else { throw self.error("duration out of range", at: start) }
            return Token(kind: .duration, text: text, offset: start, number: Double(duration.milliseconds))
        }
        if self.peek == UInt8(ascii: "0"), let x = self.peek(at: 1), x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
            self.index += 2
            while let byte = self.peek, Self.isHexDigit(byte) { self.index += 1 }
        } else {
            while let byte = self.peek, Self.isDigit(byte) { self.index += 1 }
            if self.peek == UInt8(ascii: ".") {
                self.index += 1
                while let byte = self.peek, Self.isDigit(byte) { self.index += 1 }
            }
            if let e = self.peek, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
                var look = 1
                if let sign = self.peek(at: 1), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { look = 2 }
                if let digit = self.peek(at: look), Self.isDigit(digit) {
                    self.index += look
                    while let byte = self.peek, Self.isDigit(byte) { self.index += 1 }
                }
            }
        }
        if let byte = self.peek, Self.isIdentifierPart(byte) || byte == UInt8(ascii: ".") {
            while let byte = self.peek, Self.isIdentifierPart(byte) || byte == UInt8(ascii: ".") { self.index += 1 }
            let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
            throw self.error("bad number or duration syntax: \"\(text)\"", at: start)
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        guard let value = Self.parseNumber(text) else {
            throw self.error("bad number or duration syntax: \"\(text)\"", at: start)
        }
        return Token(kind: .number, text: text, offset: start, number: value)
    }

    /// Reads a number as Go's `strconv` would: decimal, `0x` hexadecimal, or an octal integer with a leading 0.
    static func parseNumber(_ text: String) -> Double? {
        let lower = text.lowercased()
        if lower.hasPrefix("0x") {
            return UInt64(lower.dropFirst(2), radix: 16).map(Double.init)
        }
        if lower.count > 1, lower.hasPrefix("0"), lower.allSatisfy({ $0.isNumber }) {
            if let octal = UInt64(lower.dropFirst(), radix: 8) { return Double(octal) }
        }
        // Go's ParseFloat refuses a number too large for a float64; Swift would read it as infinity.
        guard lower != ".", let value = Double(lower), value.isFinite else { return nil }
        return value
    }

    /// The longest duration Prometheus accepts, in milliseconds (`math.MaxInt64` nanoseconds).
    static let longestDuration: Int64 = 9_223_372_036_854

    private static let unitMilliseconds: [(String, Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000), ("y", 31_536_000_000),
    ]

    /// Reads a duration such as `1h30m` starting at `start`; nil when the text there is not one.
    static func scanDuration(_ bytes: [UInt8], from start: Int) -> (end: Int, milliseconds: Int64)? {
        var index = start
        var total: Int64 = 0
        var lastFactor = Int64.max
        var sawUnit = false
        while index < bytes.count, Self.isDigit(bytes[index]) {
            let digitsStart = index
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
            // Too many digits reads as the largest amount: "duration out of range", as Prometheus says.
            let amount = Int64(String(decoding: bytes[digitsStart..<index], as: UTF8.self)) ?? Int64.max
            var matched: (length: Int, factor: Int64)?
            for unit in Self.unitMilliseconds {
                let unitBytes = Array(unit.0.utf8)
                guard index + unitBytes.count <= bytes.count, Array(bytes[index..<index + unitBytes.count]) == unitBytes else { continue }
                // `m` must not swallow the `m` of `ms`.
                if unit.0 == "m", index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "s") { continue }
                matched = (unitBytes.count, unit.1)
                break
            }
            guard let matched else { return nil }
            // Units come largest first, each at most once: `1h30m`, not `30m1h`.
            guard matched.factor < lastFactor else { return nil }
            lastFactor = matched.factor
            index += matched.length
            let (product, overflow) = amount.multipliedReportingOverflow(by: matched.factor)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            total = overflow || sumOverflow ? Int64.max : sum
            sawUnit = true
        }
        guard sawUnit else { return nil }
        // `5m:1m` in a subquery: a colon ends the duration.
        if index < bytes.count, bytes[index] != UInt8(ascii: ":"), Self.isIdentifierPart(bytes[index]) || bytes[index] == UInt8(ascii: ".")
        {
            return nil
        }
        return (index, total)
    }

    private mutating func string() throws(QueryError) -> Token {
        let start = self.index
        let quote = self.bytes[self.index]
        self.index += 1
        var value: [UInt8] = []
        while let byte = self.peek {
            self.index += 1
            if byte == quote {
                return Token(kind: .string, text: String(decoding: value, as: UTF8.self), offset: start)
            }
            if quote != UInt8(ascii: "`") && byte == UInt8(ascii: "\n") {
                throw self.error("unterminated quoted string", at: start)
            }
            guard byte == UInt8(ascii: "\\"), quote != UInt8(ascii: "`") else {
                value.append(byte)
                continue
            }
            guard let escape = self.peek else { break }
            self.index += 1
            switch escape {
            case UInt8(ascii: "a"): value.append(7)
            case UInt8(ascii: "b"): value.append(8)
            case UInt8(ascii: "f"): value.append(12)
            case UInt8(ascii: "n"): value.append(10)
            case UInt8(ascii: "r"): value.append(13)
            case UInt8(ascii: "t"): value.append(9)
            case UInt8(ascii: "v"): value.append(11)
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"): value.append(escape)
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let count = escape == UInt8(ascii: "x") ? 2 : (escape == UInt8(ascii: "u") ? 4 : 8)
                guard self.index + count <= self.bytes.count,
                    let code = UInt32(String(decoding: self.bytes[self.index..<self.index + count], as: UTF8.self), radix: 16)
                else { throw self.error("invalid escape sequence in string", at: self.index) }
                self.index += count
                if escape == UInt8(ascii: "x") {
                    value.append(UInt8(code))
                } else {
                    guard let scalar = Unicode.Scalar(code) else {
                        throw self.error("invalid Unicode code point in escape sequence", at: self.index)
                    }
                    value.append(contentsOf: Array(String(Character(scalar)).utf8))
                }
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard self.index + 2 <= self.bytes.count,
                    let code = UInt16(String(decoding: self.bytes[self.index - 1..<self.index + 2], as: UTF8.self), radix: 8), code < 256
                else { throw self.error("invalid escape sequence in string", at: self.index) }
                self.index += 2
                value.append(UInt8(code))
            default:
                throw self.error("unknown escape sequence \(self.describe(escape))", at: self.index - 2)
            }
        }
        throw self.error("unterminated quoted string", at: start)
    }

    func error(_ message: String, at offset: Int) -> QueryError {
        QueryError(.parse, message, at: Self.position(of: offset, in: self.bytes))
    }

    static func position(of offset: Int, in bytes: [UInt8]) -> SourcePosition {
        var line = 1
        var column = 1
        for byte in bytes[0..<min(offset, bytes.count)] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return SourcePosition(offset: offset, line: line, column: column)
    }
}
