/// `MatMul` with numpy semantics: 1-D operands promoted, batch dimensions broadcast.
struct MatMulKernel: Kernel {
    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let a = try inputs.tensor(0)
        let b = try inputs.tensor(1)
        switch (a.storage, b.storage) {
        case (.float(let x), .float(let y)):
            let (values, shape) = try Self.multiply(x, a.shape, y, b.shape)
            return [.tensor(Tensor(checkedShape: shape, .float(values)))]
        case (.double(let x), .double(let y)):
            let (values, shape) = try Self.multiply(x, a.shape, y, b.shape)
            return [.tensor(Tensor(checkedShape: shape, .double(values)))]
        default:
            throw ReferenceError(.unsupportedType, "MatMul of \(a.elementType) and \(b.elementType) is not supported")
        }
    }

    static func multiply<T: RealElement>(_ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int]) throws(ReferenceError) -> ([T], [Int]) {
        guard !aShape.isEmpty, !bShape.isEmpty else { throw ReferenceError(.executionFailed, "MatMul of a scalar") }
        let aMatrix = aShape.count == 1 ? [1, aShape[0]] : aShape
        let bMatrix = bShape.count == 1 ? [bShape[0], 1] : bShape
        let m = aMatrix[aMatrix.count - 2]
        let k = aMatrix[aMatrix.count - 1]
        let n = bMatrix[bMatrix.count - 1]
        guard bMatrix[bMatrix.count - 2] == k else {
            throw ReferenceError(.executionFailed, "MatMul shapes \(aShape) and \(bShape) do not fit")
        }
        let aBatch = Array(aMatrix.dropLast(2))
        let bBatch = Array(bMatrix.dropLast(2))
        let batch = try Broadcasting.shape(aBatch, bBatch)
        let batchCount = batch.reduce(1, *)
        guard let total = Tensor.elementCount([batchCount, m, n]), total <= Broadcasting.maximumElements else {
            throw ReferenceError(.executionFailed, "MatMul result of \(batch + [m, n]) is too large")
        }
        let aIndices = Broadcasting.indices(of: aBatch, in: batch)
        let bIndices = Broadcasting.indices(of: bBatch, in: batch)
        var result = [T](repeating: 0, count: batchCount * m * n)
        a.withUnsafeBufferPointer { aBuffer in
            b.withUnsafeBufferPointer { bBuffer in
                result.withUnsafeMutableBufferPointer { cBuffer in
                    for index in 0..<batchCount {
                        MatrixMultiply.accumulate(
                            aBuffer, bBuffer, cBuffer, m: m, k: k, n: n,
                            aOffset: aIndices[index] * m * k, bOffset: bIndices[index] * k * n, cOffset: index * m * n)
                    }
                }
            }
        }
        var shape = batch
        if aShape.count > 1 { shape.append(m) }
        if bShape.count > 1 { shape.append(n) }
        return (result, shape)
    }
}
