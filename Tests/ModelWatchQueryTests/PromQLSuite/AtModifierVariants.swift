import ModelWatchQuery

/// The extra cases Prometheus's test driver derives from each `eval`: every selector and outermost
/// subquery pinned with `@ <evaluation time>`, then evaluated at other times, which must not change
/// the answer.
enum AtModifierVariants {
    /// Functions whose answer depends on the evaluation time even when their arguments do not.
    private static let unsafeFunctions: Set<String> = [
        "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year", "predict_linear", "time",
        "timestamp",
    ]

    /// The pinned expression and the times to evaluate it at; none when the expression uses a time-dependent function.
    static func cases(_ expression: PromQLExpression, time: Int64) -> [(PromQLExpression, Int64)] {
        guard !Self.containsUnsafeFunction(expression) else { return [] }
        let pinned = Self.pin(expression, at: time)
        let times: [Int64] = time == 0 ? [-1000, 0, 1000] : [-10 * time, 0, time / 5, time, 10 * time]
        return times.map { (pinned, $0) }
    }

    private static func containsUnsafeFunction(_ expression: PromQLExpression) -> Bool {
        switch expression {
        case .number, .string, .vectorSelector, .matrixSelector: false
        case .subquery(let subquery): Self.containsUnsafeFunction(subquery.expression)
        case .parenthesized(let inner, _), .unary(_, let inner, _): Self.containsUnsafeFunction(inner)
        case .binary(let binary): Self.containsUnsafeFunction(binary.lhs) || Self.containsUnsafeFunction(binary.rhs)
        case .aggregate(let aggregate):
            Self.containsUnsafeFunction(aggregate.expression) || aggregate.parameter.map(Self.containsUnsafeFunction) == true
        case .call(let call):
            Self.unsafeFunctions.contains(call.function.name) || call.arguments.contains(where: Self.containsUnsafeFunction)
        }
    }

    private static func pin(_ expression: PromQLExpression, at time: Int64) -> PromQLExpression {
        switch expression {
        case .number, .string:
            return expression
        case .vectorSelector(var selector):
            if selector.at == nil { selector.at = .timestamp(time) }
            return .vectorSelector(selector)
        case .matrixSelector(var selector, let range, let position):
            if selector.at == nil { selector.at = .timestamp(time) }
            return .matrixSelector(selector, range: range, position)
        case .subquery(var subquery):
            // What is inside a subquery keeps its own times.
            if subquery.at == nil { subquery.at = .timestamp(time) }
            return .subquery(subquery)
        case .parenthesized(let inner, let position):
            return .parenthesized(Self.pin(inner, at: time), position)
        case .unary(let negate, let inner, let position):
            return .unary(negate: negate, Self.pin(inner, at: time), position)
        case .binary(var binary):
            binary.lhs = Self.pin(binary.lhs, at: time)
            binary.rhs = Self.pin(binary.rhs, at: time)
            return .binary(binary)
        case .aggregate(var aggregate):
            aggregate.expression = Self.pin(aggregate.expression, at: time)
            aggregate.parameter = aggregate.parameter.map { Self.pin($0, at: time) }
            return .aggregate(aggregate)
        case .call(var call):
            call.arguments = call.arguments.map { Self.pin($0, at: time) }
            return .call(call)
        }
    }
}
