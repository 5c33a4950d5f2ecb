/// `Gemm`: alpha · A' · B' + beta · C, with optional transposes and C broadcast to [M, N].
struct GemmKernel: BufferedKernel {
    let alpha: Float
    let beta: Float
    let transposeA: Bool
    let transposeB: Bool

    init(_ context: KernelContext) throws(ReferenceError) {
        self.alpha = try context.float("alpha", default: 1)
        self.beta = try context.float("beta", default: 1)
        self.transposeA = try context.int("transA", default: 0) != 0
        self.transposeB = try context.int("transB", default: 0) != 0
    }

    func run(_ inputs: [Value?], into outputs: inout [Value], buffers: inout BufferPool) throws(ReferenceError) {
        let a = try inputs.tensor(0)
        let b = try inputs.tensor(1)
        let c = try inputs.optionalTensor(2)
        switch (a.storage, b.storage) {
        case (.float(let x), .float(let y)):
            let bias = try c.map { t throws(ReferenceError) in (try t.floats(), t.shape) }
            let (values, shape) = try self.compute(x, a.shape, y, b.shape, bias, buffers: &buffers)
            outputs.append(.tensor(Tensor(checkedShape: shape, .float(values))))
        case (.double(let x), .double(let y)):
            let bias = c.flatMap { t in t.elementType == .double ? (t.doubleValues ?? [], t.shape) : nil }
            let (values, shape) = try self.compute(x, a.shape, y, b.shape, bias, buffers: &buffers)
            outputs.append(.tensor(Tensor(checkedShape: shape, .double(values))))
        default:
            throw ReferenceError(.unsupportedType, "Gemm of \(a.elementType) and \(b.elementType) is not supported")
        }
    }

    private func compute<T: RealElement>(
        _ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int], _ c: ([T], [Int])?, buffers: inout BufferPool
    ) throws(ReferenceError) -> ([T], [Int]) {
        guard aShape.count == 2, bShape.count == 2 else { throw ReferenceError(.executionFailed, "Gemm needs 2-D A and B") }
        let m = self.transposeA ? aShape[1] : aShape[0]
        let k = self.transposeA ? aShape[0] : aShape[1]
        let n = self.transposeB ? bShape[0] : bShape[1]
        guard (self.transposeB ? bShape[1] : bShape[0]) == k else {
            throw ReferenceError(.executionFailed, "Gemm shapes \(aShape) and \(bShape) do not fit")
        }
        let shape = buffers.shape(m, n)
        // The bias is checked before any work, and broadcast by the cheap forms when it has one.
        var expandedBias: [T]?
        if let (bias, biasShape) = c, self.beta != 0,
            biasShape.count > 2 || !(bias.count == 1 || (bias.count == n && Broadcasting.isTrailing(biasShape, of: shape)))
        {
            guard try Broadcasting.shape(biasShape, shape) == shape else {
                throw ReferenceError(.executionFailed, "Gemm's C of shape \(biasShape) does not broadcast to [\(m), \(n)]")
            }
            expandedBias = try Broadcasting.expand(bias, biasShape, to: shape)
        }
        // Transposed operands (PyTorch's Linear writes transB = 1) are laid out in scratch arrays from the pool.
        let left = self.transposeA ? MatrixMultiply.transpose(a, rows: aShape[0], columns: aShape[1], buffers: &buffers) : a
        let right = self.transposeB ? MatrixMultiply.transpose(b, rows: bShape[0], columns: bShape[1], buffers: &buffers) : b
        var product = buffers.array(m * n, filledWith: T(0))
        left.withUnsafeBufferPointer { aBuffer in
            right.withUnsafeBufferPointer { bBuffer in
                product.withUnsafeMutableBufferPointer { MatrixMultiply.accumulate(aBuffer, bBuffer, $0, m: m, k: k, n: n) }
            }
        }
        if self.transposeA { buffers.give(left) }
        if self.transposeB { buffers.give(right) }
        let alpha = T(self.alpha)
        let beta = T(self.beta)
        product.withUnsafeMutableBufferPointer { output in
            if alpha != 1 { for index in output.indices { output[index] *= alpha } }
            guard let (bias, _) = c, self.beta != 0 else { return }
            let source = expandedBias ?? bias
            source.withUnsafeBufferPointer { values in
                if values.count == 1 {
                    for index in output.indices { output[index] += beta * values[0] }
                } else if values.count == output.count {
                    for index in output.indices { output[index] += beta * values[index] }
                } else {
                    for row in 0..<m {
                        for column in 0..<n { output[row &* n &+ column] += beta * values[column] }
                    }
                }
            }
        }
        return (product, shape)
    }
}
