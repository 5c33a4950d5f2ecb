/// `Sum`, `Max`, `Min`, `Mean` of one or more tensors, broadcast together.
struct VariadicKernel: Kernel {
    enum Operation: String, CaseIterable, Sendable {
        case sum = "Sum"
        case max = "Max"
        case min = "Min"
        case mean = "Mean"
    }

    let operation: Operation

    init(_ operation: Operation) {
        self.operation = operation
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        var result = try inputs.tensor(0)
        for index in 1..<Swift.max(inputs.count, 1) {
            let next = try inputs.tensor(index)
            result = try self.combine(result, next)
        }
        if self.operation == .mean, inputs.count > 1 {
            let count = inputs.count
            switch result.storage {
            case .float(let values): result.storage = .float(values.map { $0 / Float(count) })
            case .double(let values): result.storage = .double(values.map { $0 / Double(count) })
            default: throw ReferenceError(.unsupportedType, "Mean of \(result.elementType) is not supported")
            }
        }
        return [.tensor(result)]
    }

    private func combine(_ a: Tensor, _ b: Tensor) throws(ReferenceError) -> Tensor {
        switch (a.storage, b.storage) {
        case (.float(let x), .float(let y)):
            let r = try self.fold(x, a.shape, y, b.shape)
            return Tensor(checkedShape: r.shape, .float(r.values))
        case (.double(let x), .double(let y)):
            let r = try self.fold(x, a.shape, y, b.shape)
            return Tensor(checkedShape: r.shape, .double(r.values))
        case (.int32(let x), .int32(let y)) where self.operation != .mean:
            let r = try self.foldInteger(x, a.shape, y, b.shape)
            return Tensor(checkedShape: r.shape, .int32(r.values))
        case (.int64(let x), .int64(let y)) where self.operation != .mean:
            let r = try self.foldInteger(x, a.shape, y, b.shape)
            return Tensor(checkedShape: r.shape, .int64(r.values))
        default:
            throw ReferenceError(.unsupportedType, "\(self.operation.rawValue) of \(a.elementType) and \(b.elementType) is not supported")
        }
    }

    private func fold<T: RealElement>(_ x: [T], _ xs: [Int], _ y: [T], _ ys: [Int]) throws(ReferenceError) -> (values: [T], shape: [Int]) {
        switch self.operation {
        case .sum, .mean: return try Broadcasting.apply(x, xs, y, ys) { $0 + $1 }
        case .max: return try Broadcasting.apply(x, xs, y, ys) { $0.isNaN || $1.isNaN ? T.nan : Swift.max($0, $1) }
        case .min: return try Broadcasting.apply(x, xs, y, ys) { $0.isNaN || $1.isNaN ? T.nan : Swift.min($0, $1) }
        }
    }

    private func foldInteger<T: FixedWidthInteger>(_ x: [T], _ xs: [Int], _ y: [T], _ ys: [Int]) throws(ReferenceError) -> (
        values: [T], shape: [Int]
    ) {
        switch self.operation {
        case .sum, .mean: return try Broadcasting.apply(x, xs, y, ys) { $0 &+ $1 }
        case .max: return try Broadcasting.apply(x, xs, y, ys) { Swift.max($0, $1) }
        case .min: return try Broadcasting.apply(x, xs, y, ys) { Swift.min($0, $1) }
        }
    }
}
