public import ModelWatchStore

/// The type of value an expression evaluates to.
public enum ValueType: String, Sendable {
    case scalar
    case string
    case vector = "instant vector"
    case matrix = "range vector"
}

/// A parsed PromQL expression: a tree whose nodes remember where they started in the text.
public indirect enum PromQLExpression: Sendable {
    case number(Double, SourcePosition)
    case string(String, SourcePosition)
    case vectorSelector(VectorSelector)
    case matrixSelector(VectorSelector, range: Int64, SourcePosition)
    case subquery(Subquery)
    case parenthesized(PromQLExpression, SourcePosition)
    case unary(negate: Bool, PromQLExpression, SourcePosition)
    case binary(BinaryExpression)
    case aggregate(AggregateExpression)
    case call(FunctionCall)

    /// The type of value the expression evaluates to.
    public var type: ValueType {
        switch self {
        case .number: .scalar
        case .string: .string
        case .vectorSelector: .vector
        case .matrixSelector, .subquery: .matrix
        case .parenthesized(let inner, _): inner.type
        case .unary(_, let inner, _): inner.type
        case .binary(let binary): binary.lhs.type == .scalar && binary.rhs.type == .scalar ? .scalar : .vector
        case .aggregate: .vector
        case .call(let call): call.function.returnType
        }
    }

    /// Where the expression starts in the text.
    public var position: SourcePosition {
        switch self {
        case .number(_, let position), .string(_, let position), .matrixSelector(_, _, let position),
            .parenthesized(_, let position), .unary(_, _, let position):
            position
        case .vectorSelector(let selector): selector.position
        case .subquery(let subquery): subquery.position
        case .binary(let binary): binary.lhs.position
        case .aggregate(let aggregate): aggregate.position
        case .call(let call): call.position
        }
    }

    /// The expression with parentheses around it removed.
    var unwrapped: PromQLExpression {
        if case .parenthesized(let inner, _) = self { return inner.unwrapped }
        return self
    }
}

/// Where a selector or subquery is pinned with `@`.
public enum AtModifier: Sendable, Equatable {
    /// `@ <seconds>`, kept in milliseconds.
    case timestamp(Int64)
    /// `@ start()`
    case start
    /// `@ end()`
    case end
}

/// `name{label="value", …}` with its `offset` and `@`.
public struct VectorSelector: Sendable {
    /// The metric name as written, if any (it is also among the matchers as `__name__`).
    public var name: String?
    /// Every matcher, the metric name included as `__name__`.
    public var matchers: [LabelMatcher]
    /// Milliseconds; negative looks ahead.
    public var offset: Int64 = 0
    /// The `@` modifier, if any.
    public var at: AtModifier?
    /// Where it starts in the text.
    public var position: SourcePosition
    /// A number for this selector in its expression, so the engine can keep its series.
    var id: Int = 0
}

// The matchers hold compiled regular expressions, which are only ever read.
extension LabelMatcher: @unchecked Sendable {}

/// `expr[range:step]` with its `offset` and `@`.
public struct Subquery: Sendable {
    /// The expression evaluated at each step (for an aggregation: the vector aggregated).
    public var expression: PromQLExpression
    /// Milliseconds.
    public var range: Int64
    /// Milliseconds; nil when not written (the engine's default applies).
    public var step: Int64?
    /// The `offset` in milliseconds; negative looks ahead.
    public var offset: Int64 = 0
    /// The `@` modifier, if any.
    public var at: AtModifier?
    /// Where it starts in the text.
    public var position: SourcePosition
    /// A number for this subquery in its expression, so the engine can keep its inner steps.
    var id: Int = 0
}

/// The binary operators, as PromQL writes them.
public enum BinaryOperator: String, Sendable {
    case add = "+"
    case sub = "-"
    case mul = "*"
    case div = "/"
    case mod = "%"
    case pow = "^"
    case atan2
    case eql = "=="
    case neq = "!="
    case gtr = ">"
    case lss = "<"
    case gte = ">="
    case lte = "<="
    case and, or, unless

    var precedence: Int {
        switch self {
        case .or: 1
        case .and, .unless: 2
        case .eql, .neq, .gtr, .lss, .gte, .lte: 3
        case .add, .sub: 4
        case .mul, .div, .mod, .atan2: 5
        case .pow: 6
        }
    }

    var isRightAssociative: Bool { self == .pow }
    var isComparison: Bool { [.eql, .neq, .gtr, .lss, .gte, .lte].contains(self) }
    var isSetOperator: Bool { [.and, .or, .unless].contains(self) }
}

/// How the series of two vectors are paired.
public struct VectorMatching: Sendable {
    /// Which side may have several series per match: many-to-one is `group_left`, one-to-many `group_right`.
    public enum Cardinality: Sendable { case oneToOne, manyToOne, oneToMany, manyToMany }
    /// How many series of each side may match.
    public var cardinality: Cardinality
    /// The labels of `on(…)` or `ignoring(…)`.
    public var labels: [String]
    /// True for `on`, false for `ignoring` (or no clause).
    public var on: Bool
    /// The extra labels of `group_left(…)`/`group_right(…)`.
    public var include: [String]
}

/// `lhs op rhs`.
public struct BinaryExpression: Sendable {
    /// The operator.
    public var op: BinaryOperator
    /// The left operand.
    public var lhs: PromQLExpression
    /// The right operand.
    public var rhs: PromQLExpression
    /// Whether `bool` was written after a comparison.
    public var returnBool: Bool
    /// Nil unless both sides are instant vectors.
    public var matching: VectorMatching?
    /// Where it starts in the text.
    public var position: SourcePosition
}

/// The aggregation operators.
public enum AggregateOperator: String, Sendable, CaseIterable {
    case sum, min, max, avg, group, stddev, stdvar, count
    case countValues = "count_values"
    case bottomk, topk, quantile

    var takesParameter: Bool { [.countValues, .bottomk, .topk, .quantile].contains(self) }
}

/// `op [by|without (labels)] ([param,] expr)`.
public struct AggregateExpression: Sendable {
    /// The aggregation.
    public var op: AggregateOperator
    /// The expression evaluated at each step (for an aggregation: the vector aggregated).
    public var expression: PromQLExpression
    /// The parameter of `topk`, `bottomk`, `quantile` and `count_values`.
    public var parameter: PromQLExpression?
    /// The labels of `by` or `without`.
    public var grouping: [String]
    /// True for `without`, false for `by` (or neither).
    public var without: Bool
    /// Where it starts in the text.
    public var position: SourcePosition
}

/// `name(args…)`.
public struct FunctionCall: Sendable {
    /// The function called.
    public var function: FunctionSignature
    /// The arguments, as written.
    public var arguments: [PromQLExpression]
    /// Where it starts in the text.
    public var position: SourcePosition
}

/// A function's name and types.
public struct FunctionSignature: Sendable {
    /// The name PromQL calls it by.
    public var name: String
    /// The type of each argument.
    public var argumentTypes: [ValueType]
    /// The number of trailing arguments that may be left out, or -1 for any number of extra arguments
    /// of the last type.
    public var optional: Int
    /// The type of the value it returns.
    public var returnType: ValueType
}
