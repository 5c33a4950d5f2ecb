/// `ai.onnx.ml.TreeEnsembleClassifier`: sums leaf votes per class over the trees, adds base values,
/// picks the top class and post-transforms the scores, with onnxruntime's binary conventions.
struct TreeEnsembleClassifierKernel: BufferedKernel {
    let forest: TreeForest
    let labels: ClassLabels
    let baseValues: [Double]
    let transform: PostTransform
    /// Two labels and votes for one class only: the one score is expanded to two columns.
    let binaryCase: Bool
    let weightsAllPositive: Bool

    init(_ context: KernelContext) throws(ReferenceError) {
        self.forest = try TreeForest(context, prefix: "class")
        guard let labels = try ClassLabels(context, ints: "classlabels_int64s", strings: "classlabels_strings") else {
            throw ReferenceError(.invalidGraph, "TreeEnsembleClassifier needs class labels")
        }
        self.labels = labels
        self.baseValues = try context.doubles("base_values")?.values ?? []
        self.transform = try PostTransform(context)
        let classIDs = Set(try context.ints("class_ids") ?? [])
        guard classIDs.allSatisfy({ $0 < Int64(labels.count) }) else {
            throw ReferenceError(.invalidGraph, "a class id is outside the \(labels.count) labels")
        }
        self.binaryCase = labels.count == 2 && classIDs.count == 1
        self.weightsAllPositive = (try context.doubles("class_weights")?.values ?? []).allSatisfy { $0 >= 0 }
    }

    func run(_ inputs: [Value?], into outputs: inout [Value], buffers: inout BufferPool) throws(ReferenceError) {
        let (values, rows, features) = try self.forest.rows(try inputs.tensor(0), buffers: &buffers)
        let classes = self.labels.count
        var best = buffers.array(rows, filledWith: Int64(0))
        var output = buffers.array(rows * classes, filledWith: Float(0))
        var scores = buffers.array(classes, filledWith: Double(0))
        var has = buffers.array(classes, filledWith: false)
        values.withUnsafeBufferPointer { buffer in
            output.withUnsafeMutableBufferPointer { output in
                for row in 0..<rows {
                    for index in 0..<classes {
                        scores[index] = 0
                        has[index] = false
                    }
                    self.forest.accumulate(
                        row: UnsafeBufferPointer(rebasing: buffer[(row * features)..<((row + 1) * features)]), into: &scores, has: &has)
                    let written = UnsafeMutableBufferPointer(rebasing: output[(row * classes)..<((row + 1) * classes)])
                    best[row] = Int64(self.finalize(&scores, &has, into: written))
                }
            }
        }
        buffers.give(values)
        buffers.give(scores)
        buffers.give(has)
        outputs.append(.tensor(self.labels.tensor(indices: &best, buffers: &buffers)))
        outputs.append(.tensor(Tensor(checkedShape: buffers.shape(rows, classes), .float(output))))
    }

    private func add(_ a: Double, _ b: Double) -> Double {
        self.forest.isDouble ? a + b : Double(Float(a) + Float(b))
    }

    /// Writes one row's scores and returns its label index.
    private func finalize(_ scores: inout [Double], _ has: inout [Bool], into row: UnsafeMutableBufferPointer<Float>) -> Int {
        var row = row
        let classes = scores.count
        if classes > 2 {
            for index in 0..<Swift.min(self.baseValues.count, classes) {
                scores[index] = has[index] ? self.add(scores[index], self.baseValues[index]) : self.baseValues[index]
                has[index] = true
            }
            var top = -1
            for index in 0..<classes where has[index] && (top == -1 || scores[index] > scores[top]) { top = index }
            for index in 0..<classes { row[index] = Float(scores[index]) }
            self.transform.apply(&row)
            return Swift.max(top, 0)
        }
        var kept = 2
        var expansion: Int = -1
        if self.baseValues.count == 2 {
            if has[1] {
                scores[1] = self.add(self.baseValues[1], scores[0])
                scores[0] = -scores[1]
                has[1] = true
            } else {
                scores[1] = self.add(scores[1], self.baseValues[1])
                scores[0] = self.add(scores[0], self.baseValues[0])
            }
        } else if self.baseValues.count == 1 {
            scores[0] = self.add(scores[0], self.baseValues[0])
            if !has[1] { kept = 1 }
        } else if self.baseValues.isEmpty {
            expansion = 3
            if !has[1] { kept = 1 }
        }
        let positiveWeight = kept == 2 && has[1] ? scores[1] : (has[0] ? scores[0] : 0)
        let label: Int
        if self.binaryCase {
            if self.weightsAllPositive {
                expansion = positiveWeight > 0.5 ? 0 : 1
            } else {
                expansion = positiveWeight > 0 ? 2 : 3
            }
            label = self.weightsAllPositive ? (positiveWeight > 0.5 ? 1 : 0) : (positiveWeight > 0 ? 1 : 0)
        } else {
            label = positiveWeight > 0 ? 1 : 0
        }
        if kept == 2 {
            for index in 0..<Swift.min(classes, row.count) { row[index] = Float(scores[index]) }
            self.transform.apply(&row)
            return label
        }
        let mode: PostTransform.BinaryExpansion? =
            switch expansion {
            case 0, 1: .complement
            case 2, 3: .negate
            default: nil
            }
        _ = self.transform.expand(Float(scores[0]), mode, into: row)
        return label
    }
}
