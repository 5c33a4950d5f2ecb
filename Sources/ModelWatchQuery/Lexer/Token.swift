/// One lexical element of a PromQL expression.
struct Token: Sendable {
    enum Kind: Hashable, Sendable {
        /// A name: a metric, a label, a function, or a keyword (`sum`, `by`, `and`, `offset` …).
        case identifier
        case number
        case duration
        case string
        case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket
        case comma, colon, at
        case add, sub, mul, div, mod, pow
        case eql, neq, lss, gtr, lte, gte
        case assign, regexMatch, regexNotMatch
        case end
    }

    let kind: Kind
    /// The raw text; for strings the unquoted value.
    let text: String
    /// Byte offset of the token's first character.
    let offset: Int
    /// For numbers and durations (milliseconds for durations).
    var number: Double = 0

    /// How the token reads in an error message, as Prometheus's parser names it.
    var described: String {
        switch self.kind {
        case .end: "end of input"
        case .identifier: "identifier \"\(self.text)\""
        case .number: "number \"\(self.text)\""
        case .duration: "duration \"\(self.text)\""
        case .string: "string \"\(self.text)\""
        case .leftParen: "\"(\""
        case .rightParen: "\")\""
        case .leftBrace: "\"{\""
        case .rightBrace: "\"}\""
        case .leftBracket: "\"[\""
        case .rightBracket: "\"]\""
        case .comma: "\",\""
        case .colon: "\":\""
        case .at: "\"@\""
        default: "\"\(self.text)\""
        }
    }
}
