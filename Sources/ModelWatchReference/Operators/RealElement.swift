#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Float and Double, with the libm functions kernels need, so kernels are written once for both.
protocol RealElement: BinaryFloatingPoint, PooledElement, Sendable {
    static func exponential(_ x: Self) -> Self
    static func logarithm(_ x: Self) -> Self
    static func hyperbolicTangent(_ x: Self) -> Self
    static func errorFunction(_ x: Self) -> Self
    static func power(_ x: Self, _ y: Self) -> Self
    static func sine(_ x: Self) -> Self
    static func cosine(_ x: Self) -> Self
}

extension Float: RealElement {
    static func exponential(_ x: Float) -> Float { expf(x) }
    static func logarithm(_ x: Float) -> Float { logf(x) }
    static func hyperbolicTangent(_ x: Float) -> Float { tanhf(x) }
    static func errorFunction(_ x: Float) -> Float { erff(x) }
    static func power(_ x: Float, _ y: Float) -> Float { powf(x, y) }
    static func sine(_ x: Float) -> Float { sinf(x) }
    static func cosine(_ x: Float) -> Float { cosf(x) }
}

extension Double: RealElement {
    static func exponential(_ x: Double) -> Double { exp(x) }
    static func logarithm(_ x: Double) -> Double { log(x) }
    static func hyperbolicTangent(_ x: Double) -> Double { tanh(x) }
    static func errorFunction(_ x: Double) -> Double { erf(x) }
    static func power(_ x: Double, _ y: Double) -> Double { pow(x, y) }
    static func sine(_ x: Double) -> Double { sin(x) }
    static func cosine(_ x: Double) -> Double { cos(x) }
}
