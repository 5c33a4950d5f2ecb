/// `ai.onnx.ml.SVMRegressor`: Σ coefficient · k(x, support vector) + rho, or the linear form.
struct SVMRegressorKernel: Kernel {
    let function: SupportVectorKernelFunction
    let supportVectors: [Float]
    let coefficients: [Float]
    let rho: Float
    let vectorCount: Int
    let oneClass: Bool
    let transform: PostTransform

    init(_ context: KernelContext) throws(ReferenceError) {
        self.function = try SupportVectorKernelFunction(context)
        self.supportVectors = try context.floats("support_vectors") ?? []
        self.coefficients = try context.floats("coefficients") ?? []
        self.rho = (try context.floats("rho") ?? []).first ?? 0
        self.vectorCount = Int(try context.int("n_supports", default: 0))
        self.oneClass = try context.int("one_class", default: 0) != 0
        self.transform = try PostTransform(context)
        guard !self.coefficients.isEmpty else { throw ReferenceError(.invalidGraph, "SVMRegressor needs coefficients") }
        if self.vectorCount > 0 {
            guard self.coefficients.count >= self.vectorCount, self.supportVectors.count % self.vectorCount == 0 else {
                throw ReferenceError(.invalidGraph, "SVMRegressor's support vectors do not fit n_supports")
            }
        }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let x = try input.floatsConverting()
        let (rows, features) = input.matrixShape
        let expected = self.vectorCount > 0 ? self.supportVectors.count / self.vectorCount : self.coefficients.count
        guard features == expected else {
            throw ReferenceError(.invalidInput, "SVMRegressor expects \(expected) features, got \(features)")
        }
        var output = [Float](repeating: 0, count: rows)
        x.withUnsafeBufferPointer { xBuffer in
            self.supportVectors.withUnsafeBufferPointer { svBuffer in
                self.coefficients.withUnsafeBufferPointer { coefficientBuffer in
                    for row in 0..<rows {
                        let rowBuffer = UnsafeBufferPointer(rebasing: xBuffer[(row * features)..<((row + 1) * features)])
                        var sum: Float
                        if self.vectorCount > 0 {
                            var total: Double = 0
                            for v in 0..<self.vectorCount {
                                let k = self.function(
                                    rowBuffer, UnsafeBufferPointer(rebasing: svBuffer[(v * features)..<((v + 1) * features)]))
                                total += Double(coefficientBuffer[v] * k)
                            }
                            sum = Float(total) + self.rho
                        } else {
                            sum = self.function(rowBuffer, coefficientBuffer) + self.rho
                        }
                        if self.oneClass { sum = sum > 0 ? 1 : -1 }
                        if self.transform == .probit { sum = PostTransform.probit(sum) }
                        output[row] = sum
                    }
                }
            }
        }
        return [.tensor(Tensor(checkedShape: [rows, 1], .float(output)))]
    }
}
