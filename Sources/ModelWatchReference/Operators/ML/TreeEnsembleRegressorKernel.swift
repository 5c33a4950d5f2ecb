/// `ai.onnx.ml.TreeEnsembleRegressor`: aggregates leaf values per target (sum, average, min, max),
/// adds base values and post-transforms.
struct TreeEnsembleRegressorKernel: BufferedKernel {
    enum Aggregate: String, Sendable {
        case sum = "SUM"
        case average = "AVERAGE"
        case min = "MIN"
        case max = "MAX"
    }

    let forest: TreeForest
    let targets: Int
    let baseValues: [Double]
    let aggregate: Aggregate
    let transform: PostTransform

    init(_ context: KernelContext) throws(ReferenceError) {
        self.forest = try TreeForest(context, prefix: "target")
        self.targets = Int(try context.int("n_targets", default: 1))
        guard self.targets > 0, self.targets < 1 << 20 else { throw ReferenceError(.invalidGraph, "n_targets \(self.targets)") }
        self.baseValues = try context.doubles("base_values")?.values ?? []
        let name = try context.string("aggregate_function", default: "SUM")
        guard let aggregate = Aggregate(rawValue: name) else { throw ReferenceError(.invalidGraph, "unknown aggregate_function '\(name)'") }
        self.aggregate = aggregate
        self.transform = try PostTransform(context)
    }

    func run(_ inputs: [Value?], into outputs: inout [Value], buffers: inout BufferPool) throws(ReferenceError) {
        let (values, rows, features) = try self.forest.rows(try inputs.tensor(0), buffers: &buffers)
        let targets = self.targets
        var output = buffers.array(rows * targets, filledWith: Float(0))
        var scores = buffers.array(targets, filledWith: Double(0))
        var has = buffers.array(targets, filledWith: false)
        let single = self.forest.isDouble
        func round(_ value: Double) -> Double { single ? value : Double(Float(value)) }
        values.withUnsafeBufferPointer { buffer in
            for row in 0..<rows {
                for index in 0..<targets {
                    scores[index] = 0
                    has[index] = false
                }
                let rowBuffer = UnsafeBufferPointer(rebasing: buffer[(row * features)..<((row + 1) * features)])
                switch self.aggregate {
                case .sum, .average:
                    self.forest.accumulate(row: rowBuffer, into: &scores, has: &has)
                case .min, .max:
                    self.forest.forEachLeaf(row: rowBuffer) { weights in
                        for weight in weights where weight.target < targets {
                            let better =
                                self.aggregate == .min ? weight.value < scores[weight.target] : weight.value > scores[weight.target]
                            if !has[weight.target] || better { scores[weight.target] = weight.value }
                            has[weight.target] = true
                        }
                    }
                }
                let trees = Double(self.forest.roots.count)
                for index in 0..<targets {
                    var value = scores[index]
                    if self.aggregate == .average { value = round(value / trees) }
                    if targets == 1 {
                        value = round(value + (self.baseValues.count == 1 ? self.baseValues[0] : 0))
                    } else if self.baseValues.count == targets {
                        value = round(value + self.baseValues[index])
                    }
                    scores[index] = value
                }
                for index in 0..<targets { output[row * targets + index] = Float(scores[index]) }
                if targets > 1 || self.transform == .probit { self.transform.apply(&output[(row * targets)..<((row + 1) * targets)]) }
            }
        }
        buffers.give(values)
        buffers.give(scores)
        buffers.give(has)
        outputs.append(.tensor(Tensor(checkedShape: buffers.shape(rows, targets), .float(output))))
    }
}
