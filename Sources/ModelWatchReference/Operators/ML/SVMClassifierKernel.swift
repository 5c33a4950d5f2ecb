/// `ai.onnx.ml.SVMClassifier`: one-vs-one support-vector classification (libsvm's layout), with
/// Platt probabilities coupled pairwise when `prob_a`/`prob_b` are given, or liblinear's linear form.
struct SVMClassifierKernel: Kernel {
    let function: SupportVectorKernelFunction
    let labels: ClassLabels
    let vectorsPerClass: [Int]
    let startingVector: [Int]
    let supportVectors: [Float]
    let coefficients: [Float]
    let rho: [Float]
    let probabilityA: [Float]
    let probabilityB: [Float]
    let transform: PostTransform
    let featureCount: Int
    let weightsAllPositive: Bool

    init(_ context: KernelContext) throws(ReferenceError) {
        self.function = try SupportVectorKernelFunction(context)
        guard let labels = try ClassLabels(context, ints: "classlabels_ints", strings: "classlabels_strings") else {
            throw ReferenceError(.invalidGraph, "SVMClassifier needs class labels")
        }
        self.labels = labels
        self.vectorsPerClass = (try context.ints("vectors_per_class") ?? []).map { Int(truncatingIfNeeded: $0) }
        var start = 0
        var starts: [Int] = []
        for count in self.vectorsPerClass {
            guard count >= 0, count <= 1 << 24 else { throw ReferenceError(.invalidGraph, "vectors_per_class \(count) is out of range") }
            starts.append(start)
            start += count
        }
        self.startingVector = starts
        self.supportVectors = try context.floats("support_vectors") ?? []
        self.coefficients = try context.floats("coefficients") ?? []
        self.rho = try context.floats("rho") ?? []
        self.probabilityA = try context.floats("prob_a") ?? []
        self.probabilityB = try context.floats("prob_b") ?? []
        self.transform = try PostTransform(context)
        self.weightsAllPositive = self.coefficients.allSatisfy { $0 >= 0 }
        let classes = labels.count
        let pairs = classes * (classes - 1) / 2
        guard !self.coefficients.isEmpty, self.probabilityA.count == self.probabilityB.count else {
            throw ReferenceError(.invalidGraph, "SVMClassifier needs coefficients, and as many prob_a as prob_b")
        }
        if start > 0 {
            guard self.vectorsPerClass.count == classes, self.supportVectors.count % start == 0,
                self.coefficients.count == (classes - 1) * start, self.rho.count >= pairs,
                self.probabilityA.isEmpty || self.probabilityA.count >= pairs
            else {
                throw ReferenceError(.invalidGraph, "SVMClassifier's support vectors, coefficients and rho do not fit \(classes) classes")
            }
            self.featureCount = self.supportVectors.count / start
        } else {
            guard self.coefficients.count % classes == 0, !self.rho.isEmpty else {
                throw ReferenceError(.invalidGraph, "SVMClassifier's coefficients do not fit \(classes) classes")
            }
            self.featureCount = self.coefficients.count / classes
        }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let x = try input.floatsConverting()
        let (rows, features) = input.matrixShape
        guard features == self.featureCount else {
            throw ReferenceError(.invalidInput, "SVMClassifier expects \(self.featureCount) features, got \(features)")
        }
        let classes = self.labels.count
        let vectorCount = self.startingVector.isEmpty ? 0 : self.startingVector[classes - 1] + self.vectorsPerClass[classes - 1]
        var labels = [Int](repeating: 0, count: rows)
        var output: [Float] = []
        let hasProbabilities = !self.probabilityA.isEmpty
        x.withUnsafeBufferPointer { xBuffer in
            self.supportVectors.withUnsafeBufferPointer { svBuffer in
                self.coefficients.withUnsafeBufferPointer { coefficientBuffer in
                    var kernels = [Float](repeating: 0, count: vectorCount)
                    for row in 0..<rows {
                        let rowBuffer = UnsafeBufferPointer(rebasing: xBuffer[(row * features)..<((row + 1) * features)])
                        if vectorCount == 0 {
                            // liblinear: one score per class, the top score wins.
                            var scores = (0..<classes).map { c in
                                self.function(
                                    rowBuffer, UnsafeBufferPointer(rebasing: coefficientBuffer[(c * features)..<((c + 1) * features)]))
                                    + self.rho[0]
                            }
                            var top = 0
                            for c in 1..<classes where scores[c] > scores[top] { top = c }
                            if classes == 2 {
                                let weight = scores[top]
                                let positive = self.weightsAllPositive ? weight >= 0.5 : weight > 0
                                labels[row] = positive ? 1 : top
                            } else {
                                labels[row] = top
                            }
                            var slice = ArraySlice(scores)
                            self.transform.apply(&slice)
                            scores = Array(slice)
                            output.append(contentsOf: scores)
                            continue
                        }
                        for v in 0..<vectorCount {
                            kernels[v] = self.function(
                                rowBuffer, UnsafeBufferPointer(rebasing: svBuffer[(v * features)..<((v + 1) * features)]))
                        }
                        var votes = [Int](repeating: 0, count: classes)
                        var pairScores: [Float] = []
                        var pair = 0
                        for i in 0..<(classes - 1) {
                            for j in (i + 1)..<classes {
                                var sum: Double = 0
                                for m in 0..<self.vectorsPerClass[i] {
                                    sum += Double(
                                        coefficientBuffer[vectorCount * (j - 1) + self.startingVector[i] + m]
                                            * kernels[self.startingVector[i] + m])
                                }
                                for m in 0..<self.vectorsPerClass[j] {
                                    sum += Double(
                                        coefficientBuffer[vectorCount * i + self.startingVector[j] + m]
                                            * kernels[self.startingVector[j] + m])
                                }
                                sum += Double(self.rho[pair])
                                pair += 1
                                pairScores.append(Float(sum))
                                votes[sum > 0 ? i : j] += 1
                            }
                        }
                        var top = 0
                        for c in 1..<classes where votes[c] > votes[top] { top = c }
                        labels[row] = top
                        if hasProbabilities {
                            output.append(contentsOf: self.probabilities(pairScores, classes: classes))
                        } else if classes == 2 {
                            output.append(contentsOf: self.transform.expand(pairScores[0], self.transform == .none ? .negate : .complement))
                        } else {
                            var slice = ArraySlice(pairScores)
                            self.transform.apply(&slice)
                            output.append(contentsOf: slice)
                        }
                    }
                }
            }
        }
        let width = rows == 0 ? classes : output.count / rows
        return [.tensor(self.labels.tensor(labels)), .tensor(Tensor(checkedShape: [rows, width], .float(output)))]
    }

    /// Platt-scaled pairwise probabilities coupled into class probabilities (libsvm's method).
    private func probabilities(_ pairScores: [Float], classes: Int) -> [Float] {
        var pairwise = [Float](repeating: 0, count: classes * classes)
        var index = 0
        for i in 0..<(classes - 1) {
            for j in (i + 1)..<classes {
                let value = 1 - PostTransform.logistic(pairScores[index] * self.probabilityA[index] + self.probabilityB[index])
                let clamped = Swift.min(Swift.max(value, 1e-7), 1 - 1e-7)
                pairwise[i * classes + j] = clamped
                pairwise[j * classes + i] = 1 - clamped
                index += 1
            }
        }
        return Self.couple(pairwise, classes: classes)
    }

    /// Wu, Lin and Weng's pairwise coupling, as libsvm's `multiclass_probability`.
    static func couple(_ r: [Float], classes k: Int) -> [Float] {
        var q = [Float](repeating: 0, count: k * k)
        var p = [Float](repeating: 1 / Float(k), count: k)
        var qp = [Float](repeating: 0, count: k)
        for t in 0..<k {
            for j in 0..<k where j != t {
                q[t * k + t] += r[j * k + t] * r[j * k + t]
                q[t * k + j] = -r[j * k + t] * r[t * k + j]
            }
        }
        let epsilon = 0.005 / Float(k)
        for _ in 0..<Swift.max(100, k) {
            var pqp: Float = 0
            for t in 0..<k {
                qp[t] = 0
                for j in 0..<k { qp[t] += q[t * k + j] * p[j] }
                pqp += p[t] * qp[t]
            }
            var maximumError: Float = 0
            for t in 0..<k { maximumError = Swift.max(maximumError, Swift.abs(qp[t] - pqp)) }
            if maximumError < epsilon { break }
            for t in 0..<k {
                let difference = (-qp[t] + pqp) / q[t * k + t]
                p[t] += difference
                pqp = (pqp + difference * (difference * q[t * k + t] + 2 * qp[t])) / (1 + difference) / (1 + difference)
                for j in 0..<k {
                    qp[j] = (qp[j] + difference * q[t * k + j]) / (1 + difference)
                    p[j] /= (1 + difference)
                }
            }
        }
        return p
    }
}
