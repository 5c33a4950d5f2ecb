/// Histogram bucket bounds, chosen for model serving rather than for web pages.
public enum MetricBuckets {
    /// Request latency: from a fast tabular model (sub-millisecond) to a long LLM answer (a minute).
    public static let latencySeconds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
    ]
    /// The sidecar's own share of a request: tens of microseconds when healthy.
    public static let overheadSeconds: [Double] = [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    ]
    /// Body sizes: powers of four from 64 bytes to 64 MiB.
    public static let sizeBytes: [Double] = (0...10).map { 64 * pow4($0) }
    /// Rows per request.
    public static let batchSize: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]
    /// Time to first token: prefill of a short prompt to a long queue wait.
    public static let timeToFirstTokenSeconds: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    /// Gaps between streamed tokens: a few milliseconds on a healthy GPU.
    public static let interTokenSeconds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    /// One snapshot written to SQLite: a millisecond for a few hundred series, seconds on a sick disk.
    public static let storeWriteSeconds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]

    /// Shadow disagreements: float32 rounding (1e-8) up to a wrong answer on a unit scale; 1, 2.5 and 5 a decade.
    public static let shadowError: [Double] = (-9...1).flatMap { exponent in
        [1.0, 2.5, 5.0].map { $0 * pow10(exponent) }
    }
    /// One reference inference: microseconds for a small tree, a second for a large network.
    public static let inferenceSeconds: [Double] = [
        0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
    ]

    private static func pow10(_ exponent: Int) -> Double {
        exponent >= 0 ? (0..<exponent).reduce(1.0) { value, _ in value * 10 } : 1 / pow10(-exponent)
    }

    private static func pow4(_ exponent: Int) -> Double {
        (0..<exponent).reduce(1) { value, _ in value * 4 }
    }
}
