/// Evaluates PromQL over a `SeriesSource` with Prometheus 2.42's semantics.
///
/// An engine is cheap to create; each query reads the series it needs once, then evaluates in
/// memory. Queries fail cleanly past the sample limit or the timeout.
public struct QueryEngine: Sendable {
    /// Limits and defaults, named after Prometheus's flags.
    public struct Options: Sendable {
        /// How far back an instant selector looks for a sample (`--query.lookback-delta`), milliseconds.
        public var lookbackDelta: Int64 = 300_000
        /// The most samples a query may hold in memory at once (`--query.max-samples`).
        public var maxSamples: Int = 50_000_000
        /// How long a query may run (`--query.timeout`).
        public var timeout: Duration = .seconds(120)
        /// The step of a subquery written without one, milliseconds (Prometheus: the evaluation interval).
        public var defaultSubqueryStep: Int64 = 60_000

        /// Prometheus's defaults.
        public init() {}
    }

    /// The largest magnitude of a time the engine takes, in milliseconds (about 146 million years
    /// either side of 1970), so that offsets, ranges and lookback never overflow.
    public static let latestTime: Int64 = 1 << 62

    private static func check(_ time: Int64) throws(QueryError) {
        guard abs(time) <= Self.latestTime else { throw QueryError(.parse, "time \(time) ms is out of range") }
    }

    private let source: any SeriesSource
    private let options: Options

    /// An engine reading from `source`.
    public init(source: any SeriesSource, options: Options = Options()) {
        self.source = source
        self.options = options
    }

    /// Evaluates an expression at one moment.
    /// - Parameters:
    ///   - text: the PromQL expression.
    ///   - time: milliseconds since the epoch.
    /// - Returns: a vector, scalar, string or (for a range selector or subquery) matrix.
    /// - Throws: `QueryError`: `.parse` with the position, or an evaluation error.
    public func instantQuery(_ text: String, at time: Int64) throws(QueryError) -> QueryValue {
        try self.instantQuery(try Parser.parse(text), at: time)
    }

    /// Evaluates a parsed expression at one moment.
    public func instantQuery(_ expression: PromQLExpression, at time: Int64) throws(QueryError) -> QueryValue {
        try Self.check(time)
        let evaluator = Evaluator(source: self.source, options: self.options, start: time, end: time, interval: 0)
        try evaluator.prepare(expression)
        try evaluator.checkDeadline()
        let value = try evaluator.evaluate(expression, at: time)
        switch value {
        case .vector(var samples):
            for index in samples.indices { samples[index].timestamp = time }
            return .vector(samples)
        default:
            return value
        }
    }

    /// Evaluates an expression at every step from `start` through `end`.
    /// - Parameters:
    ///   - start: milliseconds, the first step.
    ///   - end: milliseconds, the last step at or before it.
    ///   - step: milliseconds between steps, more than zero.
    /// - Returns: a matrix, series sorted by labels.
    /// - Throws: `QueryError`: `.parse`, or an evaluation error; the expression must be a scalar or an instant vector.
    public func rangeQuery(_ text: String, start: Int64, end: Int64, step: Int64) throws(QueryError) -> QueryValue {
        try self.rangeQuery(try Parser.parse(text), start: start, end: end, step: step)
    }

    /// Evaluates a parsed expression at every step from `start` through `end`.
    public func rangeQuery(_ expression: PromQLExpression, start: Int64, end: Int64, step: Int64) throws(QueryError) -> QueryValue {
        guard expression.type == .vector || expression.type == .scalar else {
            throw QueryError(
                .parse, "invalid expression type \"\(expression.type.rawValue)\" for range query, must be Scalar or instant Vector")
        }
        guard step > 0 else { throw QueryError(.parse, "zero or negative query resolution step widths are not accepted") }
        guard end >= start else { throw QueryError(.parse, "end timestamp must not be before start time") }
        try Self.check(start)
        try Self.check(end)
        let evaluator = Evaluator(source: self.source, options: self.options, start: start, end: end, interval: step)
        try evaluator.prepare(expression)
        var series: [Labels: [Point]] = [:]
        var total = 0
        var time = start
        while time <= end {
            try evaluator.checkDeadline()
            evaluator.resetStepSamples()
            switch try evaluator.evaluate(expression, at: time) {
            case .scalar(_, let value):
                series[.empty, default: []].append(Point(timestamp: time, value: value))
                total += 1
            case .vector(let samples):
                for sample in samples {
                    series[sample.labels, default: []].append(Point(timestamp: time, value: sample.value))
                }
                total += samples.count
            default:
                break
            }
            if total > self.options.maxSamples { throw Evaluator.tooManySamples() }
            let (next, overflow) = time.addingReportingOverflow(step)
            if overflow { break }
            time = next
        }
        return .matrix(series.map { Series(labels: $0.key, points: $0.value) }.sorted { $0.labels < $1.labels })
    }
}
