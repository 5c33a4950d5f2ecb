/// A classifier's labels: int64s or strings, as the operator's attributes give them.
enum ClassLabels: Sendable {
    case int64([Int64])
    case string([String])

    init?(_ context: KernelContext, ints: String, strings: String) throws(ReferenceError) {
        if let values = try context.strings(strings), !values.isEmpty {
            self = .string(values)
        } else if let values = try context.ints(ints), !values.isEmpty {
            self = .int64(values)
        } else {
            return nil
        }
    }

    var count: Int {
        switch self {
        case .int64(let values): return values.count
        case .string(let values): return values.count
        }
    }

    /// A label tensor of shape [N] from class indices.
    func tensor(_ indices: [Int]) -> Tensor {
        switch self {
        case .int64(let values): return Tensor(checkedShape: [indices.count], .int64(indices.map { values[$0] }))
        case .string(let values): return Tensor(checkedShape: [indices.count], .string(indices.map { values[$0] }))
        }
    }

    /// A label tensor of shape [N] from class indices; int64 labels are written over the indices.
    func tensor(indices: inout [Int64], buffers: inout BufferPool) -> Tensor {
        let shape = buffers.shape(copying: CollectionOfOne(indices.count))
        switch self {
        case .int64(let values):
            for index in indices.indices { indices[index] = values[Int(indices[index])] }
            return Tensor(checkedShape: shape, .int64(indices))
        case .string(let values):
            defer { buffers.give(indices) }
            return Tensor(checkedShape: shape, .string(indices.map { values[Int($0)] }))
        }
    }

    /// A label tensor from onnxruntime's binary fallback: labels[1]/[0] when there are two, else 1/0 ("1"/"0").
    func binaryTensor(_ positive: [Bool]) -> Tensor {
        switch self {
        case .int64(let values):
            let (yes, no) = values.count == 2 ? (values[1], values[0]) : (1, 0)
            return Tensor(checkedShape: [positive.count], .int64(positive.map { $0 ? yes : no }))
        case .string(let values):
            let (yes, no) = values.count == 2 ? (values[1], values[0]) : ("1", "0")
            return Tensor(checkedShape: [positive.count], .string(positive.map { $0 ? yes : no }))
        }
    }
}
