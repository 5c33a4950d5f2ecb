/// One value of a series at one moment.
public struct Sample: Equatable, Sendable {
    /// Milliseconds since the Unix epoch, as Prometheus counts them.
    public var timestamp: Int64
    public var value: Double

    public init(timestamp: Int64, value: Double) {
        self.timestamp = timestamp
        self.value = value
    }
}

/// A series and its samples in time order, as a query answers them.
public struct SeriesSamples: Equatable, Sendable {
    public let key: SeriesKey
    public var samples: [Sample]

    public init(key: SeriesKey, samples: [Sample]) {
        self.key = key
        self.samples = samples
    }
}
