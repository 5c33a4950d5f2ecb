import ModelWatchStore

/// Parses PromQL text into a `PromQLExpression`, checking types as Prometheus's parser does, so nothing
/// that would fail for its shape is ever evaluated halfway.
public struct Parser {
    private let bytes: [UInt8]
    private var tokens: [Token]
    private var index = 0
    private var nextSelectorID = 0

    /// Parses a whole expression.
    /// - Throws: `QueryError` with code `.parse` and the position of the offending token.
    public static func parse(_ text: String) throws(QueryError) -> PromQLExpression {
        var parser = try Parser(text)
        return try parser.parseAll()
    }

    private init(_ text: String) throws(QueryError) {
        self.bytes = Array(text.utf8)
        var lexer = Lexer(text)
        self.tokens = try lexer.tokenize()
    }

    private mutating func parseAll() throws(QueryError) -> PromQLExpression {
        if self.current.kind == .end { throw self.error("no expression found in input", at: self.current) }
        let expression = try self.parseExpression(minimumPrecedence: 0)
        guard self.current.kind == .end else { throw self.unexpected(self.current) }
        return expression
    }

    // MARK: Tokens

    private var current: Token { self.tokens[self.index] }
    private var following: Token { self.tokens[min(self.index + 1, self.tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let token = self.tokens[self.index]
        if self.index < self.tokens.count - 1 { self.index += 1 }
        return token
    }

    private mutating func expect(_ kind: Token.Kind, _ context: String) throws(QueryError) -> Token {
        guard self.current.kind == kind else { throw self.unexpected(self.current, context) }
        return self.advance()
    }

    private func isKeyword(_ token: Token, _ word: String) -> Bool {
        token.kind == .identifier && token.text.lowercased() == word
    }

    func position(_ offset: Int) -> SourcePosition { Lexer.position(of: offset, in: self.bytes) }

    func error(_ message: String, at token: Token) -> QueryError {
        QueryError(.parse, message, at: self.position(token.offset))
    }

    func error(_ message: String, at position: SourcePosition) -> QueryError {
        QueryError(.parse, message, at: position)
    }

    private func unexpected(_ token: Token, _ context: String? = nil) -> QueryError {
        var message = "unexpected \(token.described)"
        if let context { message += " in \(context)" }
        return self.error(message, at: token)
    }

    // MARK: Binary expressions

    private func binaryOperator(_ token: Token) -> BinaryOperator? {
        switch token.kind {
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        case .mod: .mod
        case .pow: .pow
        case .eql: .eql
        case .neq: .neq
        case .gtr: .gtr
        case .lss: .lss
        case .gte: .gte
        case .lte: .lte
        case .identifier:
            switch token.text.lowercased() {
            case "and": .and
            case "or": .or
            case "unless": .unless
            case "atan2": .atan2
            default: nil
            }
        default: nil
        }
    }

    private mutating func parseExpression(minimumPrecedence: Int) throws(QueryError) -> PromQLExpression {
        var lhs = try self.parseUnary()
        while let op = self.binaryOperator(self.current), op.precedence >= minimumPrecedence {
            let opToken = self.advance()
            var returnBool = false
            if self.isKeyword(self.current, "bool") {
                self.advance()
                returnBool = true
            }
            var matching: VectorMatching?
            if self.isKeyword(self.current, "on") || self.isKeyword(self.current, "ignoring") {
                let on = self.isKeyword(self.advance(), "on")
                let labels = try self.parseLabelList()
                matching = VectorMatching(cardinality: .oneToOne, labels: labels, on: on, include: [])
                if self.isKeyword(self.current, "group_left") || self.isKeyword(self.current, "group_right") {
                    let left = self.isKeyword(self.advance(), "group_left")
                    matching?.cardinality = left ? .manyToOne : .oneToMany
                    if self.current.kind == .leftParen { matching?.include = try self.parseLabelList() }
                }
            } else if self.isKeyword(self.current, "group_left") || self.isKeyword(self.current, "group_right") {
                throw self.unexpected(self.current)
            }
            let rhs = try self.parseExpression(minimumPrecedence: op.isRightAssociative ? op.precedence : op.precedence + 1)
            lhs = .binary(try self.checkedBinary(op, lhs, rhs, returnBool: returnBool, matching: matching, at: opToken))
        }
        return lhs
    }

    private func checkedBinary(
        _ op: BinaryOperator, _ lhs: PromQLExpression, _ rhs: PromQLExpression, returnBool: Bool, matching: VectorMatching?, at token: Token
    ) throws(QueryError) -> BinaryExpression {
        // The checks and their order follow Prometheus's parser, so the first error reported is the same.
        let position = lhs.position
        let operatorPosition = self.position(token.offset)
        if returnBool && !op.isComparison {
            throw self.error("bool modifier can only be used on comparison operators", at: operatorPosition)
        }
        if op.isComparison && !returnBool && lhs.type == .scalar && rhs.type == .scalar {
            throw self.error("comparisons between scalars must use BOOL modifier", at: operatorPosition)
        }
        if let matching, matching.on, let both = matching.labels.first(where: { matching.include.contains($0) }) {
            throw self.error("label \"\(both)\" must not occur in ON and GROUP clause at once", at: operatorPosition)
        }
        for side in [lhs, rhs] where side.type != .scalar && side.type != .vector {
            throw self.error("binary expression must contain only scalar and instant vector types", at: side.position)
        }
        let bothVectors = lhs.type == .vector && rhs.type == .vector
        if let matching, !bothVectors, !matching.labels.isEmpty {
            throw self.error("vector matching only allowed between instant vectors", at: position)
        }
        if op.isSetOperator && (lhs.type == .scalar || rhs.type == .scalar) {
            throw self.error("set operator \"\(op.rawValue)\" not allowed in binary scalar expression", at: position)
        }
        var resolved: VectorMatching?
        if bothVectors {
            var vectorMatching = matching ?? VectorMatching(cardinality: .oneToOne, labels: [], on: false, include: [])
            if op.isSetOperator {
                if vectorMatching.cardinality == .manyToOne || vectorMatching.cardinality == .oneToMany {
                    throw self.error("no grouping allowed for \"\(op.rawValue)\" operation", at: position)
                }
                vectorMatching.cardinality = .manyToMany
            }
            resolved = vectorMatching
        }
        return BinaryExpression(op: op, lhs: lhs, rhs: rhs, returnBool: returnBool, matching: resolved, position: position)
    }

    private mutating func parseUnary() throws(QueryError) -> PromQLExpression {
        guard self.current.kind == .add || self.current.kind == .sub else {
            return try self.parsePostfix(try self.parsePrimary())
        }
        let opToken = self.advance()
        let operand = try self.parseExpression(minimumPrecedence: BinaryOperator.pow.precedence)
        let negate = opToken.kind == .sub
        if case .number(let value, _) = operand {
            return .number(negate ? -value : value, self.position(opToken.offset))
        }
        guard operand.type == .scalar || operand.type == .vector else {
            throw self.error(
                "unary expression only allowed on expressions of type scalar or instant vector, got \"\(operand.type.rawValue)\"",
                at: opToken)
        }
        return .unary(negate: negate, operand, self.position(opToken.offset))
    }

    // MARK: Primary expressions

    private mutating func parsePrimary() throws(QueryError) -> PromQLExpression {
        let token = self.current
        switch token.kind {
        case .number:
            self.advance()
            return .number(token.number, self.position(token.offset))
        case .string:
            self.advance()
            return .string(token.text, self.position(token.offset))
        case .leftParen:
            self.advance()
            let inner = try self.parseExpression(minimumPrecedence: 0)
            _ = try self.expect(.rightParen, "paren expression")
            return .parenthesized(inner, self.position(token.offset))
        case .leftBrace:
            return .vectorSelector(try self.parseSelector(name: nil, start: token))
        case .identifier:
            if let op = AggregateOperator(rawValue: token.text.lowercased()),
                self.following.kind == .leftParen || self.isKeyword(self.following, "by") || self.isKeyword(self.following, "without")
            {
                return try self.parseAggregation(op)
            }
            if self.following.kind == .leftParen {
                return try self.parseCall()
            }
            self.advance()
            return .vectorSelector(try self.parseSelector(name: token.text, start: token))
        default:
            throw self.unexpected(token)
        }
    }

    private mutating func parseSelector(name: String?, start: Token) throws(QueryError) -> VectorSelector {
        var matchers: [LabelMatcher] = []
        if let name {
            matchers.append(try self.matcher("__name__", .equal, name, at: start))
        }
        if self.current.kind == .leftBrace {
            self.advance()
            while self.current.kind != .rightBrace {
                let labelToken = self.current
                guard labelToken.kind == .identifier || labelToken.kind == .number, Self.isValidLabelName(labelToken.text) else {
                    throw self.unexpected(labelToken, "label matching")
                }
                self.advance()
                let op: LabelMatcher.Operator
                switch self.current.kind {
                case .assign: op = .equal
                case .neq: op = .notEqual
                case .regexMatch: op = .matches
                case .regexNotMatch: op = .notMatches
                default: throw self.unexpected(self.current, "label matching, expected one of \"=\", \"!=\", \"=~\" or \"!~\"")
                }
                self.advance()
                let valueToken = self.current
                guard valueToken.kind == .string else { throw self.unexpected(valueToken, "label matching, expected string") }
                self.advance()
                if labelToken.text == "__name__", name != nil {
                    throw self.error("metric name must not be set twice: \"\(name ?? "")\" or \"\(valueToken.text)\"", at: labelToken)
                }
                matchers.append(try self.matcher(labelToken.text, op, valueToken.text, at: valueToken))
                if self.current.kind == .comma {
                    self.advance()
                } else if self.current.kind != .rightBrace {
                    throw self.unexpected(self.current, "label matching, expected \",\" or \"}\"")
                }
            }
            self.advance()
        }
        guard matchers.contains(where: { !$0.matches("") }) else {
            throw self.error("vector selector must contain at least one non-empty matcher", at: start)
        }
        self.nextSelectorID += 1
        return VectorSelector(name: name, matchers: matchers, position: self.position(start.offset), id: self.nextSelectorID)
    }

    private func matcher(_ name: String, _ op: LabelMatcher.Operator, _ value: String, at token: Token) throws(QueryError) -> LabelMatcher {
        do {
            return try LabelMatcher(name, op, value)
        } catch {
            throw self.error("invalid regular expression \"\(value)\"", at: token)
        }
    }

    static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: ":"), !(first >= 48 && first <= 57) else { return false }
        return name.utf8.allSatisfy { Lexer.isIdentifierPart($0) && $0 != UInt8(ascii: ":") }
    }

    /// `(a, b, c)`, a trailing comma allowed, keywords allowed as names.
    private mutating func parseLabelList() throws(QueryError) -> [String] {
        _ = try self.expect(.leftParen, "grouping opts")
        var labels: [String] = []
        while self.current.kind != .rightParen {
            let token = self.current
            guard token.kind == .identifier || token.kind == .number, Self.isValidLabelName(token.text) else {
                throw self.unexpected(token, "grouping opts, expected label")
            }
            labels.append(token.text)
            self.advance()
            if self.current.kind == .comma {
                self.advance()
            } else if self.current.kind != .rightParen {
                throw self.unexpected(self.current, "grouping opts, expected \",\" or \")\"")
            }
        }
        self.advance()
        return labels
    }

    private mutating func parseAggregation(_ op: AggregateOperator) throws(QueryError) -> PromQLExpression {
        let start = self.advance()
        var grouping: [String] = []
        var without = false
        var sawGrouping = false
        if self.isKeyword(self.current, "by") || self.isKeyword(self.current, "without") {
            without = self.isKeyword(self.advance(), "without")
            grouping = try self.parseLabelList()
            sawGrouping = true
        }
        let open = try self.expect(.leftParen, "aggregation")
        var arguments: [PromQLExpression] = []
        while self.current.kind != .rightParen {
            arguments.append(try self.parseExpression(minimumPrecedence: 0))
            if self.current.kind == .comma {
                self.advance()
                if self.current.kind == .rightParen { throw self.unexpected(self.current, "aggregation") }
            } else if self.current.kind != .rightParen {
                throw self.unexpected(self.current, "aggregation, expected \",\" or \")\"")
            }
        }
        self.advance()
        if !sawGrouping && (self.isKeyword(self.current, "by") || self.isKeyword(self.current, "without")) {
            without = self.isKeyword(self.advance(), "without")
            grouping = try self.parseLabelList()
        }
        let expected = op.takesParameter ? 2 : 1
        guard arguments.count == expected else {
            if arguments.isEmpty { throw self.unexpected(self.tokens[self.index - 1], "aggregation") }
            throw self.error(
                "wrong number of arguments for aggregate expression provided, expected \(expected), got \(arguments.count)",
                at: open)
        }
        let expression = arguments[arguments.count - 1]
        let parameter = op.takesParameter ? arguments[0] : nil
        guard expression.type == .vector else {
            throw self.error(
                "expected type instant vector in aggregation expression, got \(expression.type.rawValue)", at: expression.position)
        }
        if let parameter {
            let wanted: ValueType = op == .countValues ? .string : .scalar
            guard parameter.type == wanted else {
                throw self.error(
                    "expected type \(wanted.rawValue) in aggregation parameter, got \(parameter.type.rawValue)", at: parameter.position)
            }
        }
        return .aggregate(
            AggregateExpression(
                op: op, expression: expression, parameter: parameter, grouping: grouping, without: without,
                position: self.position(start.offset)))
    }

    private mutating func parseCall() throws(QueryError) -> PromQLExpression {
        let nameToken = self.advance()
        guard let function = FunctionSignature.named(nameToken.text) else {
            throw self.error("unknown function with name \"\(nameToken.text)\"", at: nameToken)
        }
        _ = try self.expect(.leftParen, "function call")
        var arguments: [PromQLExpression] = []
        while self.current.kind != .rightParen {
            arguments.append(try self.parseExpression(minimumPrecedence: 0))
            if self.current.kind == .comma {
                self.advance()
                if self.current.kind == .rightParen { throw self.unexpected(self.current, "function call") }
            } else if self.current.kind != .rightParen {
                throw self.unexpected(self.current, "function call, expected \",\" or \")\"")
            }
        }
        let close = self.advance()
        let required = function.argumentTypes.count - abs(function.optional)
        let name = function.name
        if function.optional < 0 {
            if arguments.count < required {
                throw self.error(
                    "expected at least \(required) argument(s) in call to \"\(name)\", got \(arguments.count)", at: close)
            }
        } else if function.optional == 0 {
            if arguments.count != required {
                throw self.error("expected \(required) argument(s) in call to \"\(name)\", got \(arguments.count)", at: close)
            }
        } else if arguments.count < required {
            throw self.error("expected at least \(required) argument(s) in call to \"\(name)\", got \(arguments.count)", at: close)
        } else if arguments.count > function.argumentTypes.count {
            throw self.error(
                "expected at most \(function.argumentTypes.count) argument(s) in call to \"\(name)\", got \(arguments.count)", at: close)
        }
        for (position, argument) in arguments.enumerated() {
            let wanted = function.argumentTypes[min(position, function.argumentTypes.count - 1)]
            guard argument.type == wanted else {
                throw self.error(
                    "expected type \(wanted.rawValue) in call to function \"\(name)\", got \(argument.type.rawValue)",
                    at: argument.position)
            }
        }
        return .call(FunctionCall(function: function, arguments: arguments, position: self.position(nameToken.offset)))
    }
}

// MARK: Ranges, subqueries, offset and @

extension Parser {
    private mutating func parsePostfix(_ base: PromQLExpression) throws(QueryError) -> PromQLExpression {
        var expression = base
        while true {
            let token = self.current
            if token.kind == .leftBracket {
                expression = try self.parseRange(expression)
            } else if self.isKeyword(token, "offset") {
                self.advance()
                var sign: Int64 = 1
                if self.current.kind == .sub || self.current.kind == .add {
                    if self.advance().kind == .sub { sign = -1 }
                }
                let duration = try self.expect(.duration, "offset")
                expression = try self.settingOffset(sign * Int64(duration.number), on: expression, at: token)
            } else if token.kind == .at {
                self.advance()
                let at = try self.parseAtValue()
                expression = try self.settingAt(at, on: expression, at: token)
            } else {
                return expression
            }
        }
    }

    private mutating func parseRange(_ expression: PromQLExpression) throws(QueryError) -> PromQLExpression {
        let open = self.advance()
        let rangeToken = try self.expect(.duration, "range, expected duration")
        let range = Int64(rangeToken.number)
        if self.current.kind == .colon {
            self.advance()
            var step: Int64?
            if self.current.kind == .duration {
                step = Int64(self.advance().number)
            }
            _ = try self.expect(.rightBracket, "subquery selector")
            guard expression.type == .vector else {
                let got = expression.type == .matrix ? "matrix" : expression.type.rawValue
                throw self.error("subquery is only allowed on instant vector, got \(got)", at: expression.position)
            }
            if range == 0 { throw self.error("range cannot be zero", at: rangeToken) }
            self.nextSelectorID += 1
            return .subquery(
                Subquery(expression: expression, range: range, step: step, position: expression.position, id: self.nextSelectorID))
        }
        _ = try self.expect(.rightBracket, "range selector")
        guard case .vectorSelector(let selector) = expression else {
            throw self.error("ranges only allowed for vector selectors", at: open)
        }
        if selector.offset != 0 { throw self.error("no offset modifiers allowed before range", at: open) }
        if selector.at != nil { throw self.error("no @ modifiers allowed before range", at: open) }
        if range == 0 { throw self.error("range cannot be zero", at: rangeToken) }
        return .matrixSelector(selector, range: range, selector.position)
    }

    private mutating func parseAtValue() throws(QueryError) -> AtModifier {
        let token = self.current
        if token.kind == .identifier, token.text == "start" || token.text == "end" {
            self.advance()
            _ = try self.expect(.leftParen, "@ modifier")
            _ = try self.expect(.rightParen, "@ modifier")
            return token.text == "start" ? .start : .end
        }
        var sign = 1.0
        if token.kind == .sub || token.kind == .add {
            if self.advance().kind == .sub { sign = -1 }
        }
        let number = self.current
        guard number.kind == .number else { throw self.unexpected(number, "@ modifier, expected number or start() or end()") }
        self.advance()
        let seconds = sign * number.number
        let milliseconds = (seconds * 1000).rounded()
        guard milliseconds.isFinite, abs(milliseconds) <= Double(QueryEngine.latestTime) else {
            throw self.error("timestamp out of bounds for @ modifier: \(GoFloat.format(seconds))", at: token)
        }
        return .timestamp(Int64(milliseconds))
    }

    private func settingOffset(_ offset: Int64, on expression: PromQLExpression, at token: Token) throws(QueryError) -> PromQLExpression {
        switch expression {
        case .vectorSelector(var selector):
            if selector.offset != 0 { throw self.error("offset may not be set multiple times", at: token) }
            selector.offset = offset
            return .vectorSelector(selector)
        case .matrixSelector(var selector, let range, let position):
            if selector.offset != 0 { throw self.error("offset may not be set multiple times", at: token) }
            selector.offset = offset
            return .matrixSelector(selector, range: range, position)
        case .subquery(var subquery):
            if subquery.offset != 0 { throw self.error("offset may not be set multiple times", at: token) }
            subquery.offset = offset
            return .subquery(subquery)
        default:
            throw self.error(
                "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                at: expression.position)
        }
    }

    private func settingAt(_ at: AtModifier, on expression: PromQLExpression, at token: Token) throws(QueryError) -> PromQLExpression {
        switch expression {
        case .vectorSelector(var selector):
            if selector.at != nil { throw self.error("@ <timestamp> may not be set multiple times", at: token) }
            selector.at = at
            return .vectorSelector(selector)
        case .matrixSelector(var selector, let range, let position):
            if selector.at != nil { throw self.error("@ <timestamp> may not be set multiple times", at: token) }
            selector.at = at
            return .matrixSelector(selector, range: range, position)
        case .subquery(var subquery):
            if subquery.at != nil { throw self.error("@ <timestamp> may not be set multiple times", at: token) }
            subquery.at = at
            return .subquery(subquery)
        default:
            throw self.error(
                "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                at: expression.position)
        }
    }
}

extension Parser {
    /// Reads a PromQL duration (`15s`, `1h30m`, `100ms`) as milliseconds.
    /// - Returns: nil when the text is not one, or is longer than Prometheus accepts (about 292 years).
    public static func duration(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard let scanned = Lexer.scanDuration(bytes, from: 0), scanned.end == bytes.count,
            scanned.milliseconds <= Lexer.longestDuration
        else { return nil }
        return scanned.milliseconds
    }
}
