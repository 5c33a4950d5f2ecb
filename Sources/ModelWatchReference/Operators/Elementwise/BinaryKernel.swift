/// Elementwise operators of two tensors with numpy broadcasting: arithmetic, comparisons, logic.
struct BinaryKernel: BufferedKernel {
    enum Operation: String, CaseIterable, Sendable {
        case add = "Add"
        case sub = "Sub"
        case mul = "Mul"
        case div = "Div"
        case pow = "Pow"
        case less = "Less"
        case greater = "Greater"
        case equal = "Equal"
        case lessOrEqual = "LessOrEqual"
        case greaterOrEqual = "GreaterOrEqual"
        case and = "And"
        case or = "Or"
        case xor = "Xor"

        var since: Int {
            switch self {
            case .lessOrEqual, .greaterOrEqual: return 12
            default: return 7
            }
        }
    }

    let operation: Operation

    init(_ operation: Operation) {
        self.operation = operation
    }

    func run(_ inputs: [Value?], into outputs: inout [Value], buffers: inout BufferPool) throws(ReferenceError) {
        let a = try inputs.tensor(0)
        let b = try inputs.tensor(1)
        switch (a.storage, b.storage) {
        case (.float(let x), .float(let y)):
            if let (values, shape) = self.arithmetic(x, a.shape, y, b.shape, buffers: &buffers) {
                return outputs.append(.tensor(Tensor(checkedShape: shape, .float(values))))
            }
        case (.double(let x), .double(let y)):
            if let (values, shape) = self.arithmetic(x, a.shape, y, b.shape, buffers: &buffers) {
                return outputs.append(.tensor(Tensor(checkedShape: shape, .double(values))))
            }
        default: break
        }
        outputs.append(contentsOf: try self.allocating(a, b))
    }

    /// Float arithmetic in the broadcasts that need no index tables, into pooled arrays; nil for the rest.
    private func arithmetic<T: RealElement>(
        _ x: [T], _ xShape: [Int], _ y: [T], _ yShape: [Int], buffers: inout BufferPool
    ) -> (values: [T], shape: [Int])? {
        switch self.operation {
        case .add: return Broadcasting.apply(x, xShape, y, yShape, buffers: &buffers) { $0 + $1 }
        case .sub: return Broadcasting.apply(x, xShape, y, yShape, buffers: &buffers) { $0 - $1 }
        case .mul: return Broadcasting.apply(x, xShape, y, yShape, buffers: &buffers) { $0 * $1 }
        case .div: return Broadcasting.apply(x, xShape, y, yShape, buffers: &buffers) { $0 / $1 }
        default: return nil
        }
    }

    /// Every other case, into new arrays.
    private func allocating(_ a: Tensor, _ b: Tensor) throws(ReferenceError) -> [Value] {
        if self.operation == .pow { return [.tensor(try self.power(a, b))] }
        switch (a.storage, b.storage) {
        case (.float(let x), .float(let y)): return [.tensor(try self.real(x, a.shape, y, b.shape, Tensor.Storage.float))]
        case (.double(let x), .double(let y)): return [.tensor(try self.real(x, a.shape, y, b.shape, Tensor.Storage.double))]
        case (.int32(let x), .int32(let y)): return [.tensor(try self.integer(x, a.shape, y, b.shape, Tensor.Storage.int32))]
        case (.int64(let x), .int64(let y)): return [.tensor(try self.integer(x, a.shape, y, b.shape, Tensor.Storage.int64))]
        case (.bool(let x), .bool(let y)):
            let result: (values: [Bool], shape: [Int])
            switch self.operation {
            case .and: result = try Broadcasting.apply(x, a.shape, y, b.shape) { $0 && $1 }
            case .or: result = try Broadcasting.apply(x, a.shape, y, b.shape) { $0 || $1 }
            case .xor, .greater: result = try Broadcasting.apply(x, a.shape, y, b.shape) { $0 != $1 }
            case .equal: result = try Broadcasting.apply(x, a.shape, y, b.shape) { $0 == $1 }
            default: throw ReferenceError(.unsupportedType, "\(self.operation.rawValue) of bool is not supported")
            }
            return [.tensor(Tensor(checkedShape: result.shape, .bool(result.values)))]
        case (.string(let x), .string(let y)) where self.operation == .equal:
            let result = try Broadcasting.apply(x, a.shape, y, b.shape) { $0 == $1 }
            return [.tensor(Tensor(checkedShape: result.shape, .bool(result.values)))]
        default:
            throw ReferenceError(.unsupportedType, "\(self.operation.rawValue) of \(a.elementType) and \(b.elementType) is not supported")
        }
    }

    private func compare<T: Comparable>(_ x: [T], _ xShape: [Int], _ y: [T], _ yShape: [Int]) throws(ReferenceError) -> Tensor? {
        let result: (values: [Bool], shape: [Int])
        switch self.operation {
        case .less: result = try Broadcasting.apply(x, xShape, y, yShape) { $0 < $1 }
        case .greater: result = try Broadcasting.apply(x, xShape, y, yShape) { $0 > $1 }
        case .equal: result = try Broadcasting.apply(x, xShape, y, yShape) { $0 == $1 }
        case .lessOrEqual: result = try Broadcasting.apply(x, xShape, y, yShape) { $0 <= $1 }
        case .greaterOrEqual: result = try Broadcasting.apply(x, xShape, y, yShape) { $0 >= $1 }
        default: return nil
        }
        return Tensor(checkedShape: result.shape, .bool(result.values))
    }

    private func real<T: RealElement>(
        _ x: [T], _ xShape: [Int], _ y: [T], _ yShape: [Int], _ wrap: ([T]) -> Tensor.Storage
    ) throws(ReferenceError) -> Tensor {
        if let comparison = try self.compare(x, xShape, y, yShape) { return comparison }
        let result: (values: [T], shape: [Int])
        switch self.operation {
        case .add: result = try Broadcasting.apply(x, xShape, y, yShape) { $0 + $1 }
        case .sub: result = try Broadcasting.apply(x, xShape, y, yShape) { $0 - $1 }
        case .mul: result = try Broadcasting.apply(x, xShape, y, yShape) { $0 * $1 }
        case .div: result = try Broadcasting.apply(x, xShape, y, yShape) { $0 / $1 }
        default: throw ReferenceError(.unsupportedType, "\(self.operation.rawValue) of \(T.self) is not supported")
        }
        return Tensor(checkedShape: result.shape, wrap(result.values))
    }

    private func integer<T: FixedWidthInteger & SignedInteger>(
        _ x: [T], _ xShape: [Int], _ y: [T], _ yShape: [Int], _ wrap: ([T]) -> Tensor.Storage
    ) throws(ReferenceError) -> Tensor {
        if let comparison = try self.compare(x, xShape, y, yShape) { return comparison }
        let result: (values: [T], shape: [Int])
        switch self.operation {
        case .add: result = try Broadcasting.apply(x, xShape, y, yShape) { $0 &+ $1 }
        case .sub: result = try Broadcasting.apply(x, xShape, y, yShape) { $0 &- $1 }
        case .mul: result = try Broadcasting.apply(x, xShape, y, yShape) { $0 &* $1 }
        case .div:
            if y.contains(0) { throw ReferenceError(.executionFailed, "integer division by zero") }
            result = try Broadcasting.apply(x, xShape, y, yShape) { $0.dividedReportingOverflow(by: $1).partialValue }
        default: throw ReferenceError(.unsupportedType, "\(self.operation.rawValue) of integers is not supported")
        }
        return Tensor(checkedShape: result.shape, wrap(result.values))
    }

    private func power(_ a: Tensor, _ b: Tensor) throws(ReferenceError) -> Tensor {
        switch a.storage {
        case .float(let x):
            let y: [Float]
            switch b.storage {
            case .float(let values): y = values
            case .double(let values): y = values.map { Float($0) }
            case .int32(let values): y = values.map { Float($0) }
            case .int64(let values): y = values.map { Float($0) }
            default: throw ReferenceError(.unsupportedType, "Pow exponent of \(b.elementType) is not supported")
            }
            let result = try Broadcasting.apply(x, a.shape, y, b.shape) { Float.power($0, $1) }
            return Tensor(checkedShape: result.shape, .float(result.values))
        case .double(let x):
            guard let y = b.doubleValues, b.elementType != .bool else {
                throw ReferenceError(.unsupportedType, "Pow exponent of \(b.elementType) is not supported")
            }
            let result = try Broadcasting.apply(x, a.shape, y, b.shape) { Double.power($0, $1) }
            return Tensor(checkedShape: result.shape, .double(result.values))
        default:
            throw ReferenceError(.unsupportedType, "Pow of \(a.elementType) is not supported")
        }
    }
}
