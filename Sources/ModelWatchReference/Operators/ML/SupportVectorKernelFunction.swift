#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The kernel function of the SVM operators, from `kernel_type` and `kernel_params` [gamma, coef0, degree].
struct SupportVectorKernelFunction: Sendable {
    enum Kind: String, Sendable {
        case linear = "LINEAR"
        case poly = "POLY"
        case rbf = "RBF"
        case sigmoid = "SIGMOID"
    }

    let kind: Kind
    let gamma: Float
    let coef0: Float
    let degree: Float

    init(_ context: KernelContext) throws(ReferenceError) {
        let name = try context.string("kernel_type", default: "LINEAR")
        guard let kind = Kind(rawValue: name) else { throw ReferenceError(.invalidGraph, "unknown kernel_type '\(name)'") }
        self.kind = kind
        let parameters = try context.floats("kernel_params") ?? []
        self.gamma = parameters.count > 0 ? parameters[0] : 0
        self.coef0 = parameters.count > 1 ? parameters[1] : 0
        self.degree = parameters.count > 2 ? parameters[2] : 0
    }

    /// k(x, v) for a row and a support vector of `count` features.
    func callAsFunction(_ x: UnsafeBufferPointer<Float>, _ v: UnsafeBufferPointer<Float>) -> Float {
        switch self.kind {
        case .rbf:
            var sum: Float = 0
            for index in 0..<x.count {
                let difference = x[index] - v[index]
                sum += difference * difference
            }
            return expf(-self.gamma * sum)
        case .linear, .poly, .sigmoid:
            var dot: Float = 0
            for index in 0..<x.count { dot += x[index] * v[index] }
            switch self.kind {
            case .poly: return powf(self.gamma * dot + self.coef0, self.degree)
            case .sigmoid: return tanhf(self.gamma * dot + self.coef0)
            default: return dot
            }
        }
    }
}
