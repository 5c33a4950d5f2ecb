/// `Cast` between the supported element types (numeric and bool; strings only to strings).
struct CastKernel: SingleOutputKernel {
    let target: ElementType

    init(_ context: KernelContext) throws(ReferenceError) {
        self.target = try ElementType.onnx(try context.int("to", default: 0))
    }

    func value(_ inputs: [Value?], buffers: inout BufferPool) throws(ReferenceError) -> Value {
        let input = try inputs.tensor(0)
        return .tensor(Tensor(checkedShape: input.shape, try Self.convert(input.storage, to: self.target)))
    }

    /// Truncates toward zero; NaN and out-of-range values give the minimum, as x86's conversion does.
    static func integer<T: FixedWidthInteger>(_ value: Double, as: T.Type) -> T {
        guard value.isFinite, let result = T(exactly: value.rounded(.towardZero)) else { return T.min }
        return result
    }

    static func convert(_ storage: Tensor.Storage, to target: ElementType) throws(ReferenceError) -> Tensor.Storage {
        if storage.elementType == target { return storage }
        if case .string = storage { throw ReferenceError(.unsupportedType, "Cast from string is not supported") }
        if target == .string { throw ReferenceError(.unsupportedType, "Cast to string is not supported") }
        let doubles: [Double]
        switch storage {
        case .float(let values):
            if target == .double { return .double(values.map(Double.init)) }
            doubles = values.map(Double.init)
        case .double(let values):
            if target == .float { return .float(values.map { Float($0) }) }
            doubles = values
        case .int32(let values):
            if target == .int64 { return .int64(values.map(Int64.init)) }
            doubles = values.map(Double.init)
        case .int64(let values):
            if target == .int32 { return .int32(values.map { Int32(truncatingIfNeeded: $0) }) }
            if target == .float { return .float(values.map { Float($0) }) }
            doubles = values.map(Double.init)
        case .bool(let values): doubles = values.map { $0 ? 1 : 0 }
        case .string: doubles = []
        }
        switch target {
        case .float: return .float(doubles.map { Float($0) })
        case .double: return .double(doubles)
        case .int32: return .int32(doubles.map { Self.integer($0, as: Int32.self) })
        case .int64: return .int64(doubles.map { Self.integer($0, as: Int64.self) })
        case .bool: return .bool(doubles.map { $0 != 0 })
        case .string: throw ReferenceError(.unsupportedType, "Cast to string is not supported")
        }
    }
}
