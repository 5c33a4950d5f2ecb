#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `post_transform` the classic ML operators apply to their scores, with onnxruntime's conventions
/// for the binary case (one score expanded to two columns).
enum PostTransform: String, Sendable {
    case none = "NONE"
    case softmax = "SOFTMAX"
    case logistic = "LOGISTIC"
    case softmaxZero = "SOFTMAX_ZERO"
    case probit = "PROBIT"

    init(_ context: KernelContext) throws(ReferenceError) {
        let name = try context.string("post_transform", default: "NONE")
        guard let value = PostTransform(rawValue: name) else { throw ReferenceError(.invalidGraph, "unknown post_transform '\(name)'") }
        self = value
    }

    /// How a single binary score becomes two columns (onnxruntime's `add_second_class`).
    enum BinaryExpansion: Sendable {
        /// Scores are probabilities: [1 − s, s].
        case complement
        /// Scores are margins: [−s, s], or [σ(−s), σ(s)] under LOGISTIC.
        case negate
    }

    static func logistic(_ value: Float) -> Float {
        let v = 1 / (1 + expf(-Swift.abs(value)))
        return value < 0 ? 1 - v : v
    }

    static func probit(_ value: Float) -> Float {
        Float(2.0.squareRoot() * Self.inverseErf(2 * Double(value) - 1))
    }

    /// erf⁻¹ by Newton's method on libm's erf, accurate to double precision well inside (−1, 1).
    static func inverseErf(_ y: Double) -> Double {
        if y <= -1 { return -.infinity }
        if y >= 1 { return .infinity }
        var x = 0.0
        for _ in 0..<60 {
            let step = (erf(x) - y) / (2 / Double.pi.squareRoot() * exp(-x * x))
            x -= step
            if Swift.abs(step) < 1e-15 { break }
        }
        return x
    }

    /// Transforms one row of two or more scores in place.
    func apply<Row: MutableCollection>(_ row: inout Row) where Row.Element == Float {
        switch self {
        case .none: return
        case .logistic: for index in row.indices { row[index] = Self.logistic(row[index]) }
        case .probit: for index in row.indices { row[index] = Self.probit(row[index]) }
        case .softmax:
            let maximum = row.max() ?? 0
            var sum: Float = 0
            for index in row.indices {
                row[index] = expf(row[index] - maximum)
                sum += row[index]
            }
            for index in row.indices { row[index] /= sum }
        case .softmaxZero:
            let maximum = row.max() ?? 0
            let scale = expf(-maximum)
            var sum: Float = 0
            for index in row.indices {
                if row[index] > 0.0000001 || row[index] < -0.0000001 {
                    row[index] = expf(row[index] - maximum)
                    sum += row[index]
                } else {
                    row[index] *= scale
                }
            }
            for index in row.indices { row[index] /= sum }
        }
    }

    /// One binary score as the two columns onnxruntime writes (or one under PROBIT).
    func expand(_ score: Float, _ expansion: BinaryExpansion?) -> [Float] {
        var columns: [Float] = [0, 0]
        let count = columns.withUnsafeMutableBufferPointer { self.expand(score, expansion, into: $0) }
        return Array(columns.prefix(count))
    }

    /// Writes the columns of ``expand(_:_:)`` into `row` (as many as fit); returns how many there are.
    func expand(_ score: Float, _ expansion: BinaryExpansion?, into row: UnsafeMutableBufferPointer<Float>) -> Int {
        func write(_ first: Float, _ second: Float?) -> Int {
            if !row.isEmpty { row[0] = first }
            guard let second else { return 1 }
            if row.count > 1 { row[1] = second }
            return 2
        }
        if self == .probit { return write(Self.probit(score), nil) }
        switch expansion {
        case .complement?: return write(1 - score, score)
        case .negate?: return self == .logistic ? write(Self.logistic(-score), Self.logistic(score)) : write(-score, score)
        case nil: return write(score, nil)
        }
    }
}
