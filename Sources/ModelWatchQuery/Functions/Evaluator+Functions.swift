import ModelWatchStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension Evaluator {
    func evaluateCall(_ call: FunctionCall, at time: Int64) throws(QueryError) -> QueryValue {
        let name = call.function.name
        let arguments = call.arguments
        switch name {
        case "time":
            return .scalar(timestamp: time, value: Double(time) / 1000)
        case "pi":
            return .scalar(timestamp: time, value: Double.pi)
        case "scalar":
            let samples = try self.evaluateVector(arguments[0], at: time)
            return .scalar(timestamp: time, value: samples.count == 1 ? samples[0].value : .nan)
        default:
            break
        }
        let result: [VectorSample]
        if name == "rate" || name == "increase" || name == "delta", let plain = Self.plainRangeSelector(arguments[0]) {
            let (samples, unique) = try self.extrapolatedDeltas(name, of: plain.selector, range: plain.range, at: time)
            if !unique { try self.checkUnique(samples) }
            try self.account(samples.count)
            return .vector(samples)
        }
        if call.function.argumentTypes.contains(.matrix) {
            result = try self.evaluateRangeFunction(call, at: time)
        } else {
            result = try self.evaluateInstantFunction(call, at: time)
        }
        try self.checkUnique(result)
        try self.account(result.count)
        return .vector(result)
    }

    private func evaluateRangeFunction(_ call: FunctionCall, at time: Int64) throws(QueryError) -> [VectorSample] {
        let name = call.function.name
        let rangeArgument = call.arguments.first { $0.type == .matrix } ?? call.arguments[0]
        var scalars: [Double] = []
        for argument in call.arguments where argument.type == .scalar {
            scalars.append(try self.evaluateScalar(argument, at: time))
        }
        if name == "holt_winters" {
            let smoothing = scalars[0]
            let trend = scalars[1]
            guard smoothing > 0 && smoothing < 1 else {
                throw QueryError(.execution, "invalid smoothing factor. Expected: 0 < sf < 1, got: \(Self.goFixed(smoothing))")
            }
            guard trend > 0 && trend < 1 else {
                throw QueryError(.execution, "invalid trend factor. Expected: 0 < tf < 1, got: \(Self.goFixed(trend))")
            }
        }
        let window = try self.window(rangeArgument, at: time)
        if name == "absent_over_time" {
            guard window.series.isEmpty else { return [] }
            return [VectorSample(labels: Self.absentLabels(rangeArgument), timestamp: time, value: 1)]
        }
        var result: [VectorSample] = []
        for series in window.series {
            let points = series.points
            let value: Double?
            switch name {
            case "rate": value = OverTime.extrapolatedDelta(points, window: window, isCounter: true, isRate: true)
            case "increase": value = OverTime.extrapolatedDelta(points, window: window, isCounter: true, isRate: false)
            case "delta": value = OverTime.extrapolatedDelta(points, window: window, isCounter: false, isRate: false)
            case "irate": value = OverTime.instantDelta(points, isRate: true)
            case "idelta": value = OverTime.instantDelta(points, isRate: false)
            case "deriv":
                value = points.count < 2 ? nil : OverTime.linearRegression(points, interceptTime: points[0].timestamp).slope
            case "predict_linear":
                if points.count < 2 {
                    value = nil
                } else {
                    let (slope, intercept) = OverTime.linearRegression(points, interceptTime: time)
                    value = slope * scalars[0] + intercept
                }
            case "holt_winters": value = OverTime.holtWinters(points, smoothing: scalars[0], trend: scalars[1])
            case "resets": value = OverTime.resets(points)
            case "changes": value = OverTime.changes(points)
            case "avg_over_time": value = OverTime.average(points)
            case "min_over_time": value = OverTime.minimum(points)
            case "max_over_time": value = OverTime.maximum(points)
            case "sum_over_time": value = OverTime.sum(points)
            case "count_over_time": value = Double(points.count)
            case "stddev_over_time": value = OverTime.variance(points).squareRoot()
            case "stdvar_over_time": value = OverTime.variance(points)
            case "last_over_time": value = points.last?.value
            case "present_over_time": value = 1
            case "quantile_over_time": value = Self.quantile(scalars[0], points.map(\.value))
            default: throw QueryError(.execution, "function \"\(name)\" is not implemented")
            }
            guard let value else { continue }
            // last_over_time acts like an offset and keeps the metric name; the others drop it.
            let labels = name == "last_over_time" ? series.labels : series.labels.droppingName
            result.append(VectorSample(labels: labels, timestamp: time, value: value))
        }
        return result
    }

    /// Go's `%f`: six decimals.
    private static func goFixed(_ value: Double) -> String {
        guard value.isFinite else { return GoFloat.format(value) }
        let scaled = (value * 1_000_000).rounded()
        let sign = scaled < 0 ? "-" : ""
        let magnitude = UInt64(abs(scaled))
        let fraction = String(magnitude % 1_000_000)
        return "\(sign)\(magnitude / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }

    /// The labels `absent` gives: those the selector pins with a single `=`.
    static func absentLabels(_ expression: PromQLExpression) -> Labels {
        let matchers: [LabelMatcher]
        switch expression {
        case .vectorSelector(let selector): matchers = selector.matchers
        case .matrixSelector(let selector, _, _): matchers = selector.matchers
        default: return .empty
        }
        var pairs: [String: String] = [:]
        var ambiguous = Set<String>()
        for matcher in matchers where matcher.name != "__name__" {
            if matcher.op == .equal && pairs[matcher.name] == nil {
                pairs[matcher.name] = matcher.value
            } else {
                ambiguous.insert(matcher.name)
            }
        }
        return Labels(pairs.filter { !ambiguous.contains($0.key) }.map { SeriesKey.Label($0.key, $0.value) })
    }

    private func evaluateInstantFunction(_ call: FunctionCall, at time: Int64) throws(QueryError) -> [VectorSample] {
        let name = call.function.name
        let arguments = call.arguments
        switch name {
        case "vector":
            return [VectorSample(labels: .empty, timestamp: time, value: try self.evaluateScalar(arguments[0], at: time))]
        case "timestamp":
            let samples: [VectorSample]
            if case .vectorSelector(let selector) = arguments[0].unwrapped {
                samples = try self.instantVector(selector, at: time, keepSampleTime: true)
            } else {
                samples = try self.evaluateVector(arguments[0], at: time)
            }
            return samples.map { VectorSample(labels: $0.labels.droppingName, timestamp: time, value: Double($0.timestamp) / 1000) }
        case "absent":
            guard try self.evaluateVector(arguments[0], at: time).isEmpty else { return [] }
            return [VectorSample(labels: Self.absentLabels(arguments[0]), timestamp: time, value: 1)]
        case "minute", "hour", "day_of_week", "day_of_month", "day_of_year", "days_in_month", "month", "year":
            guard let argument = arguments.first else {
                let value = CivilTime(secondsSinceEpoch: time / 1000).field(name)
                return [VectorSample(labels: .empty, timestamp: time, value: value)]
            }
            return try self.evaluateVector(argument, at: time).map { sample in
                let seconds = sample.value.isNaN ? Int64.min : Int64(exactly: sample.value.rounded(.towardZero)) ?? Int64.min
                return VectorSample(
                    labels: sample.labels.droppingName, timestamp: time, value: CivilTime(secondsSinceEpoch: seconds).field(name))
            }
        case "histogram_quantile":
            let q = try self.evaluateScalar(arguments[0], at: time)
            let input = try self.evaluateVector(arguments[1], at: time)
            var layout = self.histogramLayouts.removeValue(forKey: call.position.offset)
            let result = HistogramQuantile.evaluate(q, input, at: time, layout: &layout)
            self.histogramLayouts[call.position.offset] = layout
            return result
        case "label_replace":
            return try self.labelReplace(arguments, at: time)
        case "label_join":
            return try self.labelJoin(arguments, at: time)
        case "sort", "sort_desc":
            var samples = try self.evaluateVector(arguments[0], at: time)
            let descending = name == "sort_desc"
            // Prometheus's comparison, NaN last either way (and NaNs reversed among themselves, as Go's sort leaves them).
            let less: (VectorSample, VectorSample) -> Bool = { lhs, rhs in
                rhs.value.isNaN || (descending ? rhs.value < lhs.value : rhs.value > lhs.value)
            }
            GoSort.sort(&samples, by: less)
            return samples
        default:
            break
        }
        var scalars: [Double] = []
        for argument in arguments.dropFirst() { scalars.append(try self.evaluateScalar(argument, at: time)) }
        let input = try self.evaluateVector(arguments[0], at: time)
        let transform: (Double) -> Double
        switch name {
        case "abs": transform = { abs($0) }
        case "ceil": transform = { ceil($0) }
        case "floor": transform = { floor($0) }
        case "exp": transform = { exp($0) }
        case "ln": transform = { log($0) }
        case "log2": transform = { log2($0) }
        case "log10": transform = { log10($0) }
        case "sqrt": transform = { sqrt($0) }
        case "sgn": transform = { $0 < 0 ? -1 : ($0 > 0 ? 1 : $0) }
        case "acos": transform = { acos($0) }
        case "acosh": transform = { acosh($0) }
        case "asin": transform = { asin($0) }
        case "asinh": transform = { asinh($0) }
        case "atan": transform = { atan($0) }
        case "atanh": transform = { atanh($0) }
        case "cos": transform = { cos($0) }
        case "cosh": transform = { cosh($0) }
        case "sin": transform = { sin($0) }
        case "sinh": transform = { sinh($0) }
        case "tan": transform = { tan($0) }
        case "tanh": transform = { tanh($0) }
        case "deg": transform = { $0 * 180 / Double.pi }
        case "rad": transform = { $0 * Double.pi / 180 }
        case "round":
            let inverse = 1.0 / (scalars.first ?? 1)
            transform = { floor($0 * inverse + 0.5) / inverse }
        case "clamp":
            let (low, high) = (scalars[0], scalars[1])
            if high < low { return [] }
            transform = { Self.goMax(low, Self.goMin(high, $0)) }
        case "clamp_min":
            let low = scalars[0]
            transform = { Self.goMax(low, $0) }
        case "clamp_max":
            let high = scalars[0]
            transform = { Self.goMin(high, $0) }
        default:
            throw QueryError(.execution, "function \"\(name)\" is not implemented")
        }
        return input.map { VectorSample(labels: $0.labels.droppingName, timestamp: time, value: transform($0.value)) }
    }

    /// Go's `math.Max`: NaN wins, +Inf wins, +0 beats -0.
    static func goMax(_ x: Double, _ y: Double) -> Double {
        if x.isInfinite && x > 0 || y.isInfinite && y > 0 { return .infinity }
        if x.isNaN || y.isNaN { return .nan }
        if x == 0 && x == y { return x.sign == .minus ? y : x }
        return x > y ? x : y
    }

    /// Go's `math.Min`: NaN wins, -Inf wins, -0 beats +0.
    static func goMin(_ x: Double, _ y: Double) -> Double {
        if x.isInfinite && x < 0 || y.isInfinite && y < 0 { return -.infinity }
        if x.isNaN || y.isNaN { return .nan }
        if x == 0 && x == y { return x.sign == .minus ? x : y }
        return x < y ? x : y
    }
}
