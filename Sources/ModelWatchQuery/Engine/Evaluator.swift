import ModelWatchStore

/// Evaluates one query: reads each selector's series once for the whole span the query needs,
/// then evaluates the tree step by step in memory.
///
/// Not shared between threads: one evaluator belongs to one query.
final class Evaluator {
    let source: any SeriesSource
    let options: QueryEngine.Options
    /// The query's first and last step, milliseconds (what `start()` and `end()` mean).
    let start: Int64
    let end: Int64
    /// The query's step; 0 for an instant query.
    let interval: Int64
    private let deadline: ContinuousClock.Instant
    private var spans: [Int: (start: Int64, end: Int64)] = [:]
    private var loaded: [Int: [Series]] = [:]
    private var loadedSamples = 0
    private var stepSamples = 0
    private var subqueryCache: [Int: [Int64: [VectorSample]]] = [:]
    /// By selector: each loaded series' labels without the metric name, and whether they are unique.
    var namelessCache: [Int: (labels: [Labels], unique: Bool)] = [:]
    /// By aggregation (its position in the text): the groups of its last step's input.
    var groupingMemos: [Int: GroupingMemo] = [:]
    /// By `histogram_quantile` call (its position in the text): its last step's layout.
    var histogramLayouts: [Int: HistogramQuantile.Layout] = [:]

    init(source: any SeriesSource, options: QueryEngine.Options, start: Int64, end: Int64, interval: Int64) {
        self.source = source
        self.options = options
        self.start = start
        self.end = end
        self.interval = interval
        self.deadline = ContinuousClock.now.advanced(by: options.timeout)
    }

    static func tooManySamples() -> QueryError {
        QueryError(.tooManySamples, "query processing would load too many samples into memory in query execution")
    }

    func checkDeadline() throws(QueryError) {
        if ContinuousClock.now >= self.deadline {
            throw QueryError(.timeout, "query timed out in expression evaluation")
        }
        if Task.isCancelled { throw QueryError(.canceled, "query was canceled in expression evaluation") }
    }

    func resetStepSamples() { self.stepSamples = 0 }

    /// Counts samples held for the current step against the limit.
    func account(_ count: Int) throws(QueryError) {
        self.stepSamples += count
        if self.stepSamples + self.loadedSamples > self.options.maxSamples { throw Self.tooManySamples() }
    }

    // MARK: Planning

    /// Works out, for every selector, the span of data the query will read.
    func prepare(_ expression: PromQLExpression) throws(QueryError) {
        self.collectSpans(expression, from: self.start, through: self.end)
    }

    func resolve(_ at: AtModifier?) -> Int64? {
        switch at {
        case .none: nil
        case .timestamp(let time): time
        case .start: self.start
        case .end: self.end
        }
    }

    private func widen(_ id: Int, _ from: Int64, _ through: Int64) {
        if let span = self.spans[id] {
            self.spans[id] = (min(span.start, from), max(span.end, through))
        } else {
            self.spans[id] = (from, through)
        }
    }

    private func collectSpans(_ expression: PromQLExpression, from: Int64, through: Int64) {
        switch expression {
        case .number, .string:
            break
        case .vectorSelector(let selector):
            let (low, high) = self.reference(selector.at, selector.offset, from, through)
            self.widen(selector.id, low - self.options.lookbackDelta, high)
        case .matrixSelector(let selector, let range, _):
            let (low, high) = self.reference(selector.at, selector.offset, from, through)
            self.widen(selector.id, low - range, high)
        case .subquery(let subquery):
            let (low, high) = self.reference(subquery.at, subquery.offset, from, through)
            self.collectSpans(subquery.expression, from: low - subquery.range, through: high)
        case .parenthesized(let inner, _), .unary(_, let inner, _):
            self.collectSpans(inner, from: from, through: through)
        case .binary(let binary):
            self.collectSpans(binary.lhs, from: from, through: through)
            self.collectSpans(binary.rhs, from: from, through: through)
        case .aggregate(let aggregate):
            if let parameter = aggregate.parameter { self.collectSpans(parameter, from: from, through: through) }
            self.collectSpans(aggregate.expression, from: from, through: through)
        case .call(let call):
            for argument in call.arguments { self.collectSpans(argument, from: from, through: through) }
        }
    }

    private func reference(_ at: AtModifier?, _ offset: Int64, _ from: Int64, _ through: Int64) -> (Int64, Int64) {
        if let pinned = self.resolve(at) { return (pinned - offset, pinned - offset) }
        return (from - offset, through - offset)
    }

    /// The series of a selector, read from the source on first use.
    func series(of selector: VectorSelector) throws(QueryError) -> [Series] {
        if let series = self.loaded[selector.id] { return series }
        let span = self.spans[selector.id] ?? (self.start - self.options.lookbackDelta, self.end)
        let series = try self.source.series(matching: selector.matchers, from: span.start, through: span.end)
        self.loadedSamples += series.reduce(0) { $0 + $1.points.count }
        if self.loadedSamples > self.options.maxSamples { throw Self.tooManySamples() }
        try self.checkDeadline()
        self.loaded[selector.id] = series
        return series
    }

    // MARK: Evaluation

    func evaluate(_ expression: PromQLExpression, at time: Int64) throws(QueryError) -> QueryValue {
        switch expression {
        case .number(let value, _):
            return .scalar(timestamp: time, value: value)
        case .string(let value, _):
            return .string(timestamp: time, value: value)
        case .vectorSelector(let selector):
            return .vector(try self.instantVector(selector, at: time, keepSampleTime: false))
        case .matrixSelector(let selector, let range, _):
            return .matrix(try self.rangeVector(selector, range: range, at: time).series)
        case .subquery(let subquery):
            return .matrix(try self.subqueryMatrix(subquery, at: time).series)
        case .parenthesized(let inner, _):
            return try self.evaluate(inner, at: time)
        case .unary(let negate, let inner, _):
            let value = try self.evaluate(inner, at: time)
            guard negate else { return value }
            switch value {
            case .scalar(let timestamp, let number):
                return .scalar(timestamp: timestamp, value: -number)
            case .vector(let samples):
                let negated = samples.map { VectorSample(labels: $0.labels.droppingName, timestamp: time, value: -$0.value) }
                try self.checkUnique(negated)
                return .vector(negated)
            default:
                return value
            }
        case .binary(let binary):
            return try self.evaluateBinary(binary, at: time)
        case .aggregate(let aggregate):
            let result = try self.evaluateAggregation(aggregate, at: time)
            try self.account(result.count)
            return .vector(result)
        case .call(let call):
            return try self.evaluateCall(call, at: time)
        }
    }

    func evaluateVector(_ expression: PromQLExpression, at time: Int64) throws(QueryError) -> [VectorSample] {
        if case .vector(let samples) = try self.evaluate(expression, at: time) { return samples }
        throw QueryError(.execution, "expected an instant vector")
    }

    func evaluateScalar(_ expression: PromQLExpression, at time: Int64) throws(QueryError) -> Double {
        if case .scalar(_, let value) = try self.evaluate(expression, at: time) { return value }
        throw QueryError(.execution, "expected a scalar")
    }

    func evaluateString(_ expression: PromQLExpression, at time: Int64) throws(QueryError) -> String {
        if case .string(_, let value) = try self.evaluate(expression, at: time) { return value }
        throw QueryError(.execution, "expected a string")
    }

    func checkUnique(_ samples: [VectorSample]) throws(QueryError) {
        guard samples.count > 1 else { return }
        var seen = Set<Labels>()
        for sample in samples where !seen.insert(sample.labels).inserted {
            throw QueryError(.execution, "vector cannot contain metrics with the same labelset")
        }
    }

    // MARK: Selectors

    /// The index of the first point later than `time`.
    static func firstIndex(after time: Int64, in points: [Point]) -> Int {
        var low = 0
        var high = points.count
        while low < high {
            let middle = (low + high) / 2
            if points[middle].timestamp <= time { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The index of the first point at or after `time`.
    static func firstIndex(notBefore time: Int64, in points: [Point]) -> Int {
        var low = 0
        var high = points.count
        while low < high {
            let middle = (low + high) / 2
            if points[middle].timestamp < time { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Each series' latest sample within the lookback window; stale series are left out.
    func instantVector(_ selector: VectorSelector, at time: Int64, keepSampleTime: Bool) throws(QueryError) -> [VectorSample] {
        let reference = (self.resolve(selector.at) ?? time) - selector.offset
        var result: [VectorSample] = []
        for series in try self.series(of: selector) {
            let index = Self.firstIndex(after: reference, in: series.points) - 1
            guard index >= 0 else { continue }
            let point = series.points[index]
            guard point.timestamp >= reference - self.options.lookbackDelta, !StaleMarker.isStale(point.value) else { continue }
            result.append(VectorSample(labels: series.labels, timestamp: keepSampleTime ? point.timestamp : time, value: point.value))
        }
        try self.account(result.count)
        return result
    }

    /// A range vector and the window it covers.
    struct Window {
        var series: [Series]
        /// Milliseconds: the window's start and end, and its length.
        var start: Int64
        var end: Int64
        var range: Int64
    }

    /// Each series' samples in `[reference - range, reference]`, stale markers left out.
    func rangeVector(_ selector: VectorSelector, range: Int64, at time: Int64) throws(QueryError) -> Window {
        let reference = (self.resolve(selector.at) ?? time) - selector.offset
        var result: [Series] = []
        var count = 0
        for series in try self.series(of: selector) {
            let low = Self.firstIndex(notBefore: reference - range, in: series.points)
            let high = Self.firstIndex(after: reference, in: series.points)
            guard low < high else { continue }
            let slice = series.points[low..<high]
            let points = slice.contains { StaleMarker.isStale($0.value) } ? slice.filter { !StaleMarker.isStale($0.value) } : Array(slice)
            guard !points.isEmpty else { continue }
            count += points.count
            result.append(Series(labels: series.labels, points: points))
        }
        try self.account(count)
        return Window(series: result, start: reference - range, end: reference, range: range)
    }

    /// The inner expression evaluated at every step of the subquery's window.
    func subqueryMatrix(_ subquery: Subquery, at time: Int64) throws(QueryError) -> Window {
        let reference = (self.resolve(subquery.at) ?? time) - subquery.offset
        let step = subquery.step ?? self.options.defaultSubqueryStep
        let low = reference - subquery.range
        // The first multiple of the step at or after the window's start.
        var stepTime = low >= 0 ? ((low + step - 1) / step) * step : -((-low) / step) * step
        var bySeries: [Labels: [Point]] = [:]
        var order: [Labels] = []
        var count = 0
        while stepTime <= reference {
            try self.checkDeadline()
            let samples: [VectorSample]
            if let cached = self.subqueryCache[subquery.id]?[stepTime] {
                samples = cached
            } else {
                samples = try self.evaluateVector(subquery.expression, at: stepTime)
                self.subqueryCache[subquery.id, default: [:]][stepTime] = samples
                // Kept steps stay in memory for the rest of the query: they count like loaded samples.
                self.loadedSamples += samples.count
                if self.loadedSamples > self.options.maxSamples { throw Self.tooManySamples() }
            }
            for sample in samples {
                if bySeries[sample.labels] == nil { order.append(sample.labels) }
                bySeries[sample.labels, default: []].append(Point(timestamp: stepTime, value: sample.value))
            }
            count += samples.count
            stepTime += step
        }
        try self.account(count)
        let series = order.sorted().map { Series(labels: $0, points: bySeries[$0] ?? []) }
        return Window(series: series, start: low, end: reference, range: subquery.range)
    }

    /// A range-vector argument (a range selector or a subquery, maybe in parentheses) at one step.
    func window(_ expression: PromQLExpression, at time: Int64) throws(QueryError) -> Window {
        switch expression {
        case .matrixSelector(let selector, let range, _): return try self.rangeVector(selector, range: range, at: time)
        case .subquery(let subquery): return try self.subqueryMatrix(subquery, at: time)
        case .parenthesized(let inner, _): return try self.window(inner, at: time)
        default: throw QueryError(.execution, "expected a range vector")
        }
    }
}
