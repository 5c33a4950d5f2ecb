import ModelWatchQuery
import ModelWatchStore
import Testing

@Suite("Parser")
struct ParserTests {
    @Test(
        "Errors name the line and column, as Prometheus does",
        arguments: [
            ("sum(rate(foo[5m]) by (job)", "1:19: parse error: unexpected identifier \"by\" in aggregation, expected \",\" or \")\""),
            ("sum(rate(foo[5m])", "1:18: parse error: unexpected end of input in aggregation, expected \",\" or \")\""),
            ("foo{bar=\"baz\"", "1:14: parse error: unexpected end of input in label matching, expected \",\" or \"}\""),
            ("rate(foo)", "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector"),
            ("foo bar", "1:5: parse error: unexpected identifier \"bar\""),
            ("1 == 1", "1:3: parse error: comparisons between scalars must use BOOL modifier"),
            ("foo[300y]", "1:5: parse error: duration out of range"),
            ("foo offset 99999999999999999999y", "1:12: parse error: duration out of range"),
            ("1e999", "1:1: parse error: bad number or duration syntax: \"1e999\""),
            (
                "rate(foo[5m]) offset 1m",
                "1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"
            ),
            ("nosuchfunction(foo)", "1:1: parse error: unknown function with name \"nosuchfunction\""),
            ("foo and 1", "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"),
            ("{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"),
            ("foo[5m] + 1", "1:1: parse error: binary expression must contain only scalar and instant vector types"),
            ("(foo)[5m]", "1:6: parse error: ranges only allowed for vector selectors"),
            ("foo offset 1m offset 2m", "1:15: parse error: offset may not be set multiple times"),
            ("foo\n  + bar[", "2:9: parse error: unexpected end of input in range, expected duration"),
            ("", "1:1: parse error: no expression found in input"),
        ])
    func errorPositions(_ text: String, _ message: String) {
        #expect {
            _ = try Parser.parse(text)
        } throws: { error in
            (error as? QueryError)?.description == message && (error as? QueryError)?.code == .parse
        }
    }

    @Test("Operators bind as in Prometheus: ^ is right-associative and above unary minus, and/or lowest")
    func precedence() throws {
        let engine = QueryEngine(source: InMemorySeriesSource())
        let cases: [(String, Double)] = [
            ("1 + 2 * 3", 7), ("2 ^ 3 ^ 2", 512), ("-2 ^ 2", -4), ("(1 + 2) * 3", 9), ("10 - 2 - 3", 5),
            ("2 * 3 % 4", 2), ("1 + 2 > bool 2", 1), ("1 - -1", 2), ("-1 * -1", 1), ("2 atan2 0", 1.5707963267948966),
        ]
        for (text, expected) in cases {
            guard case .scalar(_, let value) = try engine.instantQuery(text, at: 0) else {
                Issue.record("\(text) is not a scalar")
                continue
            }
            #expect(value == expected, "\(text)")
        }
    }

    @Test("Selectors keep their matchers, offset, @ and position")
    func selectorParts() throws {
        let expression = try Parser.parse("  rate(http_requests_total{code=~\"5..\", job!=\"x\"}[5m] offset -1m @ end())")
        guard case .call(let call) = expression, case .matrixSelector(let selector, let range, _) = call.arguments[0] else {
            Issue.record("not a call over a range selector: \(expression)")
            return
        }
        #expect(call.position.column == 3)
        #expect(selector.position.column == 8)
        #expect(range == 300_000)
        #expect(selector.offset == -60_000)
        #expect(selector.at == .end)
        #expect(selector.matchers.map(\.description) == ["__name__=\"http_requests_total\"", "code=~\"5..\"", "job!=\"x\""])
    }

    @Test("Durations combine units, largest first")
    func durations() throws {
        let expression = try Parser.parse("foo[1h30m]")
        guard case .matrixSelector(_, let range, _) = expression else {
            Issue.record("not a range selector")
            return
        }
        #expect(range == 5_400_000)
        #expect(throws: QueryError.self) { try Parser.parse("foo[30m1h]") }
    }

    @Test("Subqueries take an optional step; aggregations take by/without before or after")
    func subqueriesAndAggregations() throws {
        guard case .subquery(let subquery) = try Parser.parse("rate(foo[1m])[10m:]") else {
            Issue.record("not a subquery")
            return
        }
        #expect(subquery.range == 600_000 && subquery.step == nil)
        guard case .aggregate(let before) = try Parser.parse("sum by (a, b) (foo)"),
            case .aggregate(let after) = try Parser.parse("sum(foo) without (a,)")
        else {
            Issue.record("not aggregations")
            return
        }
        #expect(before.grouping == ["a", "b"] && !before.without)
        #expect(after.grouping == ["a"] && after.without)
    }
}
