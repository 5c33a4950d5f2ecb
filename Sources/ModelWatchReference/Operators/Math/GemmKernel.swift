/// `Gemm`: alpha · A' · B' + beta · C, with optional transposes and C broadcast to [M, N].
struct GemmKernel: Kernel {
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

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let a = try inputs.tensor(0)
        let b = try inputs.tensor(1)
        let c = try inputs.optionalTensor(2)
        switch (a.storage, b.storage) {
        case (.float(let x), .float(let y)):
            let bias = try c.map { t throws(ReferenceError) in (try t.floats(), t.shape) }
            let (values, shape) = try self.compute(x, a.shape, y, b.shape, bias)
            return [.tensor(Tensor(checkedShape: shape, .float(values)))]
        case (.double(let x), .double(let y)):
            let bias = c.flatMap { t in t.elementType == .double ? (t.doubleValues ?? [], t.shape) : nil }
            let (values, shape) = try self.compute(x, a.shape, y, b.shape, bias)
            return [.tensor(Tensor(checkedShape: shape, .double(values)))]
        default:
            throw ReferenceError(.unsupportedType, "Gemm of \(a.elementType) and \(b.elementType) is not supported")
        }
    }

    private func compute<T: RealElement>(
        _ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int], _ c: ([T], [Int])?
    ) throws(ReferenceError) -> ([T], [Int]) {
        guard aShape.count == 2, bShape.count == 2 else { throw ReferenceError(.executionFailed, "Gemm needs 2-D A and B") }
        let m = self.transposeA ? aShape[1] : aShape[0]
        let k = self.transposeA ? aShape[0] : aShape[1]
        let n = self.transposeB ? bShape[0] : bShape[1]
        guard (self.transposeB ? bShape[1] : bShape[0]) == k else {
            throw ReferenceError(.executionFailed, "Gemm shapes \(aShape) and \(bShape) do not fit")
        }
        let left = self.transposeA ? MatrixMultiply.transpose(a, rows: aShape[0], columns: aShape[1]) : a
        let right = self.transposeB ? MatrixMultiply.transpose(b, rows: bShape[0], columns: bShape[1]) : b
        var product = [T](repeating: 0, count: m * n)
        left.withUnsafeBufferPointer { aBuffer in
            right.withUnsafeBufferPointer { bBuffer in
                product.withUnsafeMutableBufferPointer { MatrixMultiply.accumulate(aBuffer, bBuffer, $0, m: m, k: k, n: n) }
            }
        }
        let alpha = T(self.alpha)
        if alpha != 1 { product = product.map { $0 * alpha } }
        if let (bias, biasShape) = c, self.beta != 0 {
            let beta = T(self.beta)
            let shape = try Broadcasting.shape(biasShape, [m, n])
            guard shape == [m, n] else {
                throw ReferenceError(.executionFailed, "Gemm's C of shape \(biasShape) does not broadcast to [\(m), \(n)]")
            }
            let expanded = try Broadcasting.expand(bias, biasShape, to: [m, n])
            product = zip(product, expanded).map { $0 + beta * $1 }
        }
        return (product, [m, n])
    }
}
