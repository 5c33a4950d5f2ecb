/// `MatMul` with numpy semantics: 1-D operands promoted, batch dimensions broadcast.
struct MatMulKernel: BufferedKernel {
    func run(_ inputs: [Value?], into outputs: inout [Value], buffers: inout BufferPool) throws(ReferenceError) {
        let a = try inputs.tensor(0)
        let b = try inputs.tensor(1)
        switch (a.storage, b.storage) {
        case (.float(let x), .float(let y)):
            let (values, shape) = try Self.multiply(x, a.shape, y, b.shape, buffers: &buffers)
            outputs.append(.tensor(Tensor(checkedShape: shape, .float(values))))
        case (.double(let x), .double(let y)):
            let (values, shape) = try Self.multiply(x, a.shape, y, b.shape, buffers: &buffers)
            outputs.append(.tensor(Tensor(checkedShape: shape, .double(values))))
        default:
            throw ReferenceError(.unsupportedType, "MatMul of \(a.elementType) and \(b.elementType) is not supported")
        }
    }

    static func multiply<T: RealElement>(
        _ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int], buffers: inout BufferPool
    ) throws(ReferenceError) -> ([T], [Int]) {
        guard !aShape.isEmpty, !bShape.isEmpty else { throw ReferenceError(.executionFailed, "MatMul of a scalar") }
        let m = aShape.count == 1 ? 1 : aShape[aShape.count - 2]
        let k = aShape[aShape.count - 1]
        let n = bShape.count == 1 ? 1 : bShape[bShape.count - 1]
        guard (bShape.count == 1 ? bShape[0] : bShape[bShape.count - 2]) == k else {
            throw ReferenceError(.executionFailed, "MatMul shapes \(aShape) and \(bShape) do not fit")
        }
        // Plain matrices (the common case) need no batch bookkeeping.
        if aShape.count <= 2, bShape.count <= 2 {
            guard m.multipliedReportingOverflow(by: n).partialValue <= Broadcasting.maximumElements else {
                throw ReferenceError(.executionFailed, "MatMul result of [\(m), \(n)] is too large")
            }
            var result = buffers.array(m * n, filledWith: T(0))
            Self.accumulate(a, b, &result, m: m, k: k, n: n, batches: 1) { _ in (0, 0) }
            let shape: [Int]
            switch (aShape.count, bShape.count) {
            case (1, 1): shape = []
            case (1, _): shape = buffers.shape(copying: CollectionOfOne(n))
            case (_, 1): shape = buffers.shape(copying: CollectionOfOne(m))
            default: shape = buffers.shape(m, n)
            }
            return (result, shape)
        }
        let aBatch = Array(aShape.dropLast(aShape.count == 1 ? 1 : 2))
        let bBatch = Array(bShape.dropLast(bShape.count == 1 ? 1 : 2))
        let batch = try Broadcasting.shape(aBatch, bBatch)
        let batchCount = batch.reduce(1, *)
        guard let total = Tensor.elementCount(batch + [m, n]), total <= Broadcasting.maximumElements else {
            throw ReferenceError(.executionFailed, "MatMul result of \(batch + [m, n]) is too large")
        }
        var result = buffers.array(total, filledWith: T(0))
        let aIndices = Broadcasting.indices(of: aBatch, in: batch)
        let bIndices = Broadcasting.indices(of: bBatch, in: batch)
        Self.accumulate(a, b, &result, m: m, k: k, n: n, batches: batchCount) { (aIndices[$0], bIndices[$0]) }
        var shape = batch
        if aShape.count > 1 { shape.append(m) }
        if bShape.count > 1 { shape.append(n) }
        return (result, shape)
    }

    /// C = A · B for each batch, A's and B's matrix for batch i at `operands(i)`.
    private static func accumulate<T: RealElement>(
        _ a: [T], _ b: [T], _ result: inout [T], m: Int, k: Int, n: Int, batches: Int, operands: (Int) -> (a: Int, b: Int)
    ) {
        a.withUnsafeBufferPointer { aBuffer in
            b.withUnsafeBufferPointer { bBuffer in
                result.withUnsafeMutableBufferPointer { cBuffer in
                    for index in 0..<batches {
                        let (aIndex, bIndex) = operands(index)
                        MatrixMultiply.accumulate(
                            aBuffer, bBuffer, cBuffer, m: m, k: k, n: n, aOffset: aIndex * m * k, bOffset: bIndex * k * n,
                            cOffset: index * m * n)
                    }
                }
            }
        }
    }
}
