/// A dense, row-major tensor of one of the supported element types.
public struct Tensor: Sendable, Equatable {
    /// The element storage; the case is the element type.
    public enum Storage: Sendable, Equatable {
        case float([Float])
        case double([Double])
        case int32([Int32])
        case int64([Int64])
        case bool([Bool])
        case string([String])
    }

    /// The dimensions, outermost first; empty for a scalar.
    public var shape: [Int]
    /// The elements in row-major order.
    public var storage: Storage

    /// Creates a tensor; the element count must equal the product of `shape`.
    /// - Throws: ``ReferenceError/Code-swift.struct/invalidInput`` when it does not.
    public init(shape: [Int], storage: Storage) throws(ReferenceError) {
        guard let count = Self.elementCount(shape), count == storage.count else {
            throw ReferenceError(.invalidInput, "\(storage.count) elements do not fill shape \(shape)")
        }
        self.shape = shape
        self.storage = storage
    }

    /// Creates a tensor whose element count is known to match (kernels' own results).
    init(checkedShape shape: [Int], _ storage: Storage) {
        self.shape = shape
        self.storage = storage
    }

    /// A float tensor.
    public init(shape: [Int], floats: [Float]) throws(ReferenceError) { try self.init(shape: shape, storage: .float(floats)) }
    /// A double tensor.
    public init(shape: [Int], doubles: [Double]) throws(ReferenceError) { try self.init(shape: shape, storage: .double(doubles)) }
    /// An int64 tensor.
    public init(shape: [Int], int64s: [Int64]) throws(ReferenceError) { try self.init(shape: shape, storage: .int64(int64s)) }
    /// A string tensor.
    public init(shape: [Int], strings: [String]) throws(ReferenceError) { try self.init(shape: shape, storage: .string(strings)) }

    /// The element type.
    public var elementType: ElementType { self.storage.elementType }
    /// The number of elements.
    public var count: Int { self.storage.count }

    /// The product of the dimensions, or nil when a dimension is negative or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// The elements as doubles, for numeric tensors (bools as 0/1); nil for strings.
    public var doubleValues: [Double]? {
        switch self.storage {
        case .float(let values): return values.map(Double.init)
        case .double(let values): return values
        case .int32(let values): return values.map(Double.init)
        case .int64(let values): return values.map(Double.init)
        case .bool(let values): return values.map { $0 ? 1 : 0 }
        case .string: return nil
        }
    }

    /// The elements as text, one per element, as the CLI and comparisons print them.
    public var stringValues: [String] {
        switch self.storage {
        case .float(let values): return values.map { "\($0)" }
        case .double(let values): return values.map { "\($0)" }
        case .int32(let values): return values.map { "\($0)" }
        case .int64(let values): return values.map { "\($0)" }
        case .bool(let values): return values.map { "\($0)" }
        case .string(let values): return values
        }
    }
}

extension Tensor.Storage {
    /// The element type of this storage.
    public var elementType: ElementType {
        switch self {
        case .float: return .float
        case .double: return .double
        case .int32: return .int32
        case .int64: return .int64
        case .bool: return .bool
        case .string: return .string
        }
    }

    /// The number of elements.
    public var count: Int {
        switch self {
        case .float(let values): return values.count
        case .double(let values): return values.count
        case .int32(let values): return values.count
        case .int64(let values): return values.count
        case .bool(let values): return values.count
        case .string(let values): return values.count
        }
    }
}
