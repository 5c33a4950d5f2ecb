/// `ReduceSum`, `ReduceMean`, `ReduceMax`, … over axes from an attribute (older opsets) or an input.
struct ReduceKernel: Kernel {
    enum Reduction: String, CaseIterable, Sendable {
        case sum = "ReduceSum"
        case mean = "ReduceMean"
        case max = "ReduceMax"
        case min = "ReduceMin"
        case prod = "ReduceProd"
        case sumSquare = "ReduceSumSquare"
        case l1 = "ReduceL1"
        case l2 = "ReduceL2"
        case logSumExp = "ReduceLogSumExp"

        /// The opset where axes moved from an attribute to an input.
        var axesInputSince: Int { self == .sum ? 13 : 18 }
    }

    let reduction: Reduction
    let attributeAxes: [Int]?
    let keepDimensions: Bool
    let noopWithEmptyAxes: Bool
    let axesFromInput: Bool

    init(_ reduction: Reduction, _ context: KernelContext) throws(ReferenceError) {
        self.reduction = reduction
        self.axesFromInput = context.opset >= reduction.axesInputSince
        self.attributeAxes = try context.ints("axes")?.map { Int(truncatingIfNeeded: $0) }
        self.keepDimensions = try context.int("keepdims", default: 1) != 0
        self.noopWithEmptyAxes = try context.int("noop_with_empty_axes", default: 0) != 0
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let rank = input.shape.count
        var axes = self.axesFromInput ? try inputs.optionalTensor(1)?.integers() ?? [] : self.attributeAxes ?? []
        if axes.isEmpty {
            if self.noopWithEmptyAxes { return [.tensor(input)] }
            axes = Array(0..<rank)
        }
        var reduced = Set<Int>()
        for axis in axes { reduced.insert(try normalizedAxis(axis, rank: rank)) }
        let keptShape = input.shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
        let outputShape = self.keepDimensions ? keptShape : input.shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
        let count = keptShape.reduce(1, *)
        let targets = Broadcasting.indices(of: keptShape, in: input.shape)
        switch input.storage {
        case .float(let values):
            return [.tensor(Tensor(checkedShape: outputShape, .float(self.reduce(values, targets, count, input.count))))]
        case .double(let values):
            return [.tensor(Tensor(checkedShape: outputShape, .double(self.reduce(values, targets, count, input.count))))]
        case .int64(let values) where self.reduction == .sum || self.reduction == .max || self.reduction == .min:
            let doubles = self.reduce(values.map(Double.init), targets, count, input.count)
            return [.tensor(Tensor(checkedShape: outputShape, .int64(doubles.map { CastKernel.integer($0, as: Int64.self) })))]
        default: throw ReferenceError(.unsupportedType, "\(self.reduction.rawValue) of \(input.elementType) is not supported")
        }
    }

    private func reduce<T: RealElement>(_ values: [T], _ targets: [Int], _ count: Int, _ total: Int) -> [T] {
        let perOutput = T(count == 0 ? 0 : total / Swift.max(count, 1))
        switch self.reduction {
        case .sum, .mean, .sumSquare, .l1, .l2:
            var result = [T](repeating: 0, count: count)
            for (index, value) in values.enumerated() {
                switch self.reduction {
                case .sumSquare, .l2: result[targets[index]] += value * value
                case .l1: result[targets[index]] += Swift.abs(value)
                default: result[targets[index]] += value
                }
            }
            if self.reduction == .mean { return result.map { $0 / perOutput } }
            if self.reduction == .l2 { return result.map { $0.squareRoot() } }
            return result
        case .prod:
            var result = [T](repeating: 1, count: count)
            for (index, value) in values.enumerated() { result[targets[index]] *= value }
            return result
        case .max, .min:
            var result = [T](repeating: self.reduction == .max ? -T.infinity : T.infinity, count: count)
            for (index, value) in values.enumerated() {
                let current = result[targets[index]]
                if value.isNaN || current.isNaN {
                    result[targets[index]] = T.nan
                } else if self.reduction == .max ? value > current : value < current {
                    result[targets[index]] = value
                }
            }
            return result
        case .logSumExp:
            var maximum = [T](repeating: -T.infinity, count: count)
            for (index, value) in values.enumerated() { maximum[targets[index]] = Swift.max(maximum[targets[index]], value) }
            var result = [T](repeating: 0, count: count)
            for (index, value) in values.enumerated() { result[targets[index]] += T.exponential(value - maximum[targets[index]]) }
            return zip(result, maximum).map { T.logarithm($0) + $1 }
        }
    }
}
