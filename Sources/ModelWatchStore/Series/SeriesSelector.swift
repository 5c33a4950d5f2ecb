/// Which series a query reads: a metric name and label matchers, written as in PromQL
/// (`modelwatch_requests_total{model="iris",code=~"5.."}`, or `{__name__=~"modelwatch_.*"}`).
public struct SeriesSelector: CustomStringConvertible {
    /// Every matcher, the metric name included as `__name__`.
    public let matchers: [LabelMatcher]

    public init(matchers: [LabelMatcher]) {
        self.matchers = matchers
    }

    /// The metric name when the selector names exactly one, which lets the store read only its series.
    public var metricName: String? {
        self.matchers.first { $0.name == "__name__" && $0.op == .equal }?.value
    }

    public func matches(_ key: SeriesKey) -> Bool {
        self.matchers.allSatisfy { $0.matches(key[label: $0.name]) }
    }

    public var description: String {
        let name = self.metricName ?? ""
        let rest = self.matchers.filter { !($0.name == "__name__" && $0.op == .equal && $0.value == name) }
        return rest.isEmpty ? name : "\(name){\(rest.map(\.description).joined(separator: ","))}"
    }
}

extension SeriesSelector {
    /// Parses a selector.
    /// - Throws: `StoreError.invalidSelector` naming the position and what was expected there.
    public init(parsing text: String) throws(StoreError) {
        var parser = SelectorParser(text)
        self.init(matchers: try parser.parse())
    }
}

/// Reads `name{label op "value", …}`; a selector must name a metric or match some label against
/// something that is not empty, as PromQL requires, so no selector reads the whole store by accident.
private struct SelectorParser {
    private let characters: [Character]
    private var index = 0

    init(_ text: String) { self.characters = Array(text) }

    mutating func parse() throws(StoreError) -> [LabelMatcher] {
        var matchers: [LabelMatcher] = []
        self.skipSpaces()
        if let name = self.identifier(allowColon: true) {
            matchers.append(try LabelMatcher("__name__", .equal, name))
        }
        self.skipSpaces()
        if self.consume("{") {
            self.skipSpaces()
            while !self.consume("}") {
                guard let label = self.identifier(allowColon: false) else { throw self.failure("a label name") }
                self.skipSpaces()
                let op = try self.matchOperator()
                self.skipSpaces()
                let value = try self.quoted()
                matchers.append(try LabelMatcher(label, op, value))
                self.skipSpaces()
                if self.consume(",") {
                    self.skipSpaces()
                } else if self.peek != "}" {
                    throw self.failure("`,` or `}`")
                }
            }
            self.skipSpaces()
        }
        guard self.index == self.characters.count else { throw self.failure("the end of the selector") }
        guard matchers.contains(where: { !$0.matches("") }) else {
            throw StoreError(.invalidSelector, "a selector needs a metric name or a matcher that does not match the empty string")
        }
        return matchers
    }

    private var peek: Character? { self.index < self.characters.count ? self.characters[self.index] : nil }

    private mutating func consume(_ character: Character) -> Bool {
        guard self.peek == character else { return false }
        self.index += 1
        return true
    }

    private mutating func skipSpaces() {
        while let character = self.peek, character.isWhitespace { self.index += 1 }
    }

    private mutating func identifier(allowColon: Bool) -> String? {
        let start = self.index
        while let character = self.peek, character.isASCII,
            character.isLetter || character == "_" || (allowColon && character == ":") || (self.index > start && character.isNumber)
        {
            self.index += 1
        }
        return self.index > start ? String(self.characters[start..<self.index]) : nil
    }

    private mutating func matchOperator() throws(StoreError) -> LabelMatcher.Operator {
        if self.consume("=") { return self.consume("~") ? .matches : .equal }
        if self.consume("!") {
            if self.consume("=") { return .notEqual }
            if self.consume("~") { return .notMatches }
        }
        throw self.failure("one of =, !=, =~, !~")
    }

    private mutating func quoted() throws(StoreError) -> String {
        guard let quote = self.peek, quote == "\"" || quote == "'" || quote == "`" else { throw self.failure("a quoted label value") }
        self.index += 1
        var value = ""
        while let character = self.peek {
            self.index += 1
            if character == quote { return value }
            if character == "\\" && quote != "`", let escaped = self.peek {
                self.index += 1
                switch escaped {
                case "n": value.append("\n")
                case "t": value.append("\t")
                default: value.append(escaped)
                }
            } else {
                value.append(character)
            }
        }
        throw self.failure("a closing \(quote)")
    }

    private func failure(_ expected: String) -> StoreError {
        let found = self.peek.map { "`\($0)`" } ?? "the end"
        return StoreError(.invalidSelector, "at position \(self.index + 1): expected \(expected), found \(found)")
    }
}
