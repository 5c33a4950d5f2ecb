/// `ai.onnx.ml.LinearClassifier`: scores X · Wᵀ + b, the top class, and post-transformed scores.
struct LinearClassifierKernel: Kernel {
    let coefficients: [Float]
    let intercepts: [Float]
    let labels: ClassLabels
    let transform: PostTransform

    init(_ context: KernelContext) throws(ReferenceError) {
        guard let coefficients = try context.floats("coefficients"), !coefficients.isEmpty else {
            throw ReferenceError(.invalidGraph, "LinearClassifier needs coefficients")
        }
        guard let labels = try ClassLabels(context, ints: "classlabels_ints", strings: "classlabels_strings") else {
            throw ReferenceError(.invalidGraph, "LinearClassifier needs class labels")
        }
        self.coefficients = coefficients
        self.intercepts = try context.floats("intercepts") ?? []
        self.labels = labels
        self.transform = try PostTransform(context)
        let classes = self.intercepts.isEmpty ? 1 : self.intercepts.count
        guard coefficients.count % classes == 0 else {
            throw ReferenceError(.invalidGraph, "LinearClassifier coefficients do not fit the classes")
        }
        if classes > 1, labels.count != classes {
            throw ReferenceError(.invalidGraph, "LinearClassifier has \(labels.count) labels for \(classes) classes")
        }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let x = try input.floatsConverting()
        let (rows, features) = input.matrixShape
        let classes = Swift.max(self.intercepts.count, 1)
        guard features * classes == self.coefficients.count else {
            throw ReferenceError(.invalidInput, "LinearClassifier expects \(self.coefficients.count / classes) features, got \(features)")
        }
        var scores = [Float](repeating: 0, count: rows * classes)
        for row in 0..<rows {
            for c in 0..<classes {
                var sum: Float = self.intercepts.isEmpty ? 0 : self.intercepts[c]
                for f in 0..<features { sum += x[row * features + f] * self.coefficients[c * features + f] }
                scores[row * classes + c] = sum
            }
        }
        if classes == 1 {
            let labels = self.labels.binaryTensor(scores.map { $0 > 0 })
            if self.labels.count == 2 {
                let expanded = scores.flatMap { self.transform == .probit ? [PostTransform.probit($0)] : [1 - $0, $0] }
                return [.tensor(labels), .tensor(Tensor(checkedShape: [rows, expanded.count / Swift.max(rows, 1)], .float(expanded)))]
            }
            let transformed = self.transform == .probit ? scores.map(PostTransform.probit) : scores
            return [.tensor(labels), .tensor(Tensor(checkedShape: [rows, 1], .float(transformed)))]
        }
        var best = [Int](repeating: 0, count: rows)
        for row in 0..<rows {
            var top = 0
            for c in 1..<classes where scores[row * classes + c] > scores[row * classes + top] { top = c }
            best[row] = top
            var slice = scores[(row * classes)..<((row + 1) * classes)]
            self.transform.apply(&slice)
            scores.replaceSubrange((row * classes)..<((row + 1) * classes), with: slice)
        }
        return [.tensor(self.labels.tensor(best)), .tensor(Tensor(checkedShape: [rows, classes], .float(scores)))]
    }
}
