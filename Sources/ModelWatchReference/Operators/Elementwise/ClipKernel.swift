/// `Clip`: bounds from attributes before opset 11, from optional inputs since.
struct ClipKernel: Kernel {
    let attributeBounds: (Float, Float)?

    init(_ context: KernelContext) throws(ReferenceError) {
        if context.opset < 11 {
            self.attributeBounds = (
                try context.float("min", default: -Float.greatestFiniteMagnitude),
                try context.float("max", default: Float.greatestFiniteMagnitude)
            )
        } else {
            self.attributeBounds = nil
        }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let lower = try inputs.optionalTensor(1)
        let upper = try inputs.optionalTensor(2)
        switch input.storage {
        case .float(let values):
            let low = try lower.map { t throws(ReferenceError) in try t.floats()[0] } ?? self.attributeBounds?.0 ?? -.infinity
            let high = try upper.map { t throws(ReferenceError) in try t.floats()[0] } ?? self.attributeBounds?.1 ?? .infinity
            return [.tensor(Tensor(checkedShape: input.shape, .float(values.map { $0.isNaN ? $0 : Swift.min(Swift.max($0, low), high) })))]
        case .double(let values):
            let low = lower?.doubleValues?.first ?? -.infinity
            let high = upper?.doubleValues?.first ?? .infinity
            return [.tensor(Tensor(checkedShape: input.shape, .double(values.map { $0.isNaN ? $0 : Swift.min(Swift.max($0, low), high) })))]
        case .int32(let values):
            let low = try lower?.integers().first.map(Int32.init(truncatingIfNeeded:)) ?? .min
            let high = try upper?.integers().first.map(Int32.init(truncatingIfNeeded:)) ?? .max
            return [.tensor(Tensor(checkedShape: input.shape, .int32(values.map { Swift.min(Swift.max($0, low), high) })))]
        case .int64(let values):
            let low = try lower?.integers().first.map(Int64.init) ?? .min
            let high = try upper?.integers().first.map(Int64.init) ?? .max
            return [.tensor(Tensor(checkedShape: input.shape, .int64(values.map { Swift.min(Swift.max($0, low), high) })))]
        default:
            throw ReferenceError(.unsupportedType, "Clip of \(input.elementType) is not supported")
        }
    }
}
