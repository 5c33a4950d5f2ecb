/// `Range`: start, start + delta, … up to (not including) limit.
struct RangeKernel: Kernel {
    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let start = try inputs.tensor(0)
        let limit = try inputs.tensor(1)
        let delta = try inputs.tensor(2)
        guard start.count == 1, limit.count == 1, delta.count == 1, start.elementType == limit.elementType,
            start.elementType == delta.elementType,
            let s = start.doubleValues?.first, let l = limit.doubleValues?.first, let d = delta.doubleValues?.first
        else { throw ReferenceError(.executionFailed, "Range needs three scalars of one numeric type") }
        guard d != 0, s.isFinite, l.isFinite, d.isFinite else {
            throw ReferenceError(.executionFailed, "Range with delta 0 or non-finite bounds")
        }
        let count = Swift.max(0, ((l - s) / d).rounded(.up))
        guard count <= Double(Broadcasting.maximumElements) else { throw ReferenceError(.executionFailed, "Range of \(count) elements") }
        let n = Int(count)
        let storage: Tensor.Storage
        switch start.storage {
        case .float(let v):
            let (first, step) = (v[0], try delta.floats()[0])
            storage = .float((0..<n).map { first + Float($0) * step })
        case .double: storage = .double((0..<n).map { s + Double($0) * d })
        case .int32: storage = .int32((0..<n).map { Int32(truncatingIfNeeded: Int64(s) + Int64($0) * Int64(d)) })
        case .int64(let v):
            let (first, step) = (v[0], (try delta.integers()).first.map(Int64.init) ?? 1)
            storage = .int64((0..<n).map { first &+ Int64($0) &* step })
        default: throw ReferenceError(.unsupportedType, "Range of \(start.elementType) is not supported")
        }
        return [.tensor(Tensor(checkedShape: [n], storage))]
    }
}
