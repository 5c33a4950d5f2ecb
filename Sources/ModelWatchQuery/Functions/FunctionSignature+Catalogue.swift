extension FunctionSignature {
    /// The function of that name among Prometheus 2.42's stable float functions, or nil.
    public static func named(_ name: String) -> FunctionSignature? {
        Self.catalogue[name]
    }

    private static func make(_ name: String, _ arguments: [ValueType], optional: Int = 0, returns: ValueType = .vector)
        -> FunctionSignature
    {
        FunctionSignature(name: name, argumentTypes: arguments, optional: optional, returnType: returns)
    }

    private static let catalogue: [String: FunctionSignature] = {
        var all: [FunctionSignature] = []
        let vectorMath = [
            "abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn", "acos", "acosh", "asin", "asinh", "atan", "atanh",
            "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg", "rad", "timestamp", "sort", "sort_desc", "absent",
        ]
        all += vectorMath.map { Self.make($0, [.vector]) }
        let overRange = [
            "rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes", "avg_over_time", "min_over_time",
            "max_over_time", "sum_over_time", "count_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
            "present_over_time", "absent_over_time",
        ]
        all += overRange.map { Self.make($0, [.matrix]) }
        let dates = ["minute", "hour", "day_of_week", "day_of_month", "day_of_year", "days_in_month", "month", "year"]
        all += dates.map { Self.make($0, [.vector], optional: 1) }
        all += [
            Self.make("predict_linear", [.matrix, .scalar]),
            Self.make("holt_winters", [.matrix, .scalar, .scalar]),
            Self.make("quantile_over_time", [.scalar, .matrix]),
            Self.make("histogram_quantile", [.scalar, .vector]),
            Self.make("clamp", [.vector, .scalar, .scalar]),
            Self.make("clamp_min", [.vector, .scalar]),
            Self.make("clamp_max", [.vector, .scalar]),
            Self.make("round", [.vector, .scalar], optional: 1),
            Self.make("label_replace", [.vector, .string, .string, .string, .string]),
            Self.make("label_join", [.vector, .string, .string, .string], optional: -1),
            Self.make("scalar", [.vector], returns: .scalar),
            Self.make("vector", [.scalar]),
            Self.make("time", [], returns: .scalar),
            Self.make("pi", [], returns: .scalar),
        ]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    }()
}
