public import ModelWatchQuery

/// An alerting rule: an expression whose every result is an alert, with how long it must hold
/// before firing and how long it keeps firing after it stops.
public struct AlertingRule: Sendable {
    /// The `alert` name, also the `alertname` label.
    public var name: String
    /// The parsed `expr`.
    public var expression: PromQLExpression
    /// The `expr` as written.
    public var expressionText: String
    /// `for`, milliseconds.
    public var holdDuration: Int64
    /// `keep_firing_for`, milliseconds.
    public var keepFiringFor: Int64
    /// `labels`, sorted by name; values are templates.
    public var labels: [(String, String)]
    /// `annotations`, sorted by name; values are templates.
    public var annotations: [(String, String)]
    /// The line of the rule in its file.
    public var line: Int?
}

/// A recording rule: an expression whose result is stored as a new series.
public struct RecordingRule: Sendable {
    /// The `record` name: the metric name of the output.
    public var name: String
    /// The parsed `expr`.
    public var expression: PromQLExpression
    /// The `expr` as written.
    public var expressionText: String
    /// `labels` set on every output series, sorted by name.
    public var labels: [(String, String)]
    /// The line of the rule in its file.
    public var line: Int?
}

/// One rule of a group.
public enum Rule: Sendable {
    case alerting(AlertingRule)
    case recording(RecordingRule)

    /// The alert or record name.
    public var name: String {
        switch self {
        case .alerting(let rule): rule.name
        case .recording(let rule): rule.name
        }
    }

    /// The expression as written.
    public var expressionText: String {
        switch self {
        case .alerting(let rule): rule.expressionText
        case .recording(let rule): rule.expressionText
        }
    }
}

/// A group of rules evaluated in order at the same time, on its own interval.
public struct RuleGroup: Sendable {
    /// The group's name, unique within its file.
    public var name: String
    /// The file it came from.
    public var file: String
    /// `interval`, milliseconds; nil means the global evaluation interval.
    public var interval: Int64?
    /// `limit`: the most alerts or series a rule may produce; 0 means no limit.
    public var limit: Int
    /// The rules, in file order.
    public var rules: [Rule]
}
