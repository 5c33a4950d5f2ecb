/// `ai.onnx.ml.LinearRegressor`: X · Wᵀ + b for one or more targets.
struct LinearRegressorKernel: Kernel {
    let coefficients: [Float]
    let intercepts: [Float]
    let targets: Int
    let transform: PostTransform

    init(_ context: KernelContext) throws(ReferenceError) {
        self.coefficients = try context.floats("coefficients") ?? []
        self.intercepts = try context.floats("intercepts") ?? []
        self.targets = Int(try context.int("targets", default: 1))
        self.transform = try PostTransform(context)
        guard self.targets > 0, self.coefficients.count % self.targets == 0 else {
            throw ReferenceError(.invalidGraph, "LinearRegressor coefficients do not fit \(self.targets) targets")
        }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let x = try input.floatsConverting()
        let (rows, features) = input.matrixShape
        guard features * self.targets == self.coefficients.count else {
            throw ReferenceError(
                .invalidInput, "LinearRegressor expects \(self.coefficients.count / self.targets) features, got \(features)")
        }
        var scores = [Float](repeating: 0, count: rows * self.targets)
        for row in 0..<rows {
            for t in 0..<self.targets {
                var sum: Float = t < self.intercepts.count ? self.intercepts[t] : 0
                for f in 0..<features { sum += x[row * features + f] * self.coefficients[t * features + f] }
                scores[row * self.targets + t] = sum
            }
            if self.targets > 1 || self.transform == .probit {
                var slice = scores[(row * self.targets)..<((row + 1) * self.targets)]
                self.transform.apply(&slice)
                scores.replaceSubrange((row * self.targets)..<((row + 1) * self.targets), with: slice)
            }
        }
        return [.tensor(Tensor(checkedShape: [rows, self.targets], .float(scores)))]
    }
}
