/// Which series a query reads: a metric name and label matchers, written as in PromQL
/// (`modelwatch_requests_total{model="iris",code=~"5.."}`, or `{__name__=~"modelwatch_.*"}`).
///
/// The text form is parsed by ModelWatchQuery (`SeriesSelector(parsing:)`), the project's one PromQL parser.
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
