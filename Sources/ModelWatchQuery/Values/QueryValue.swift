/// One value of an instant vector: a series' labels and its value at the evaluation time.
public struct VectorSample: Sendable {
    /// The series, its metric name as `__name__`.
    public var labels: Labels
    /// Milliseconds; the evaluation time, or the sample's own time where Prometheus keeps it.
    public var timestamp: Int64
    /// The value.
    public var value: Double

    /// A sample of a vector.
    public init(labels: Labels, timestamp: Int64, value: Double) {
        self.labels = labels
        self.timestamp = timestamp
        self.value = value
    }
}

/// One point of a series in a range vector or a range query's answer.
public struct Point: Sendable, Equatable {
    /// Milliseconds since the epoch.
    public var timestamp: Int64
    /// The value.
    public var value: Double

    /// A point of a series.
    public init(timestamp: Int64, value: Double) {
        self.timestamp = timestamp
        self.value = value
    }
}

/// A series with points in time order.
public struct Series: Sendable {
    /// The series, its metric name as `__name__`.
    public var labels: Labels
    /// The points, oldest first.
    public var points: [Point]

    /// A series and its points.
    public init(labels: Labels, points: [Point]) {
        self.labels = labels
        self.points = points
    }
}

/// What an expression evaluates to.
public enum QueryValue: Sendable {
    case scalar(timestamp: Int64, value: Double)
    case string(timestamp: Int64, value: String)
    case vector([VectorSample])
    case matrix([Series])

    /// The type name as the HTTP API writes `resultType`.
    public var resultType: String {
        switch self {
        case .scalar: "scalar"
        case .string: "string"
        case .vector: "vector"
        case .matrix: "matrix"
        }
    }
}
