/// The matrix-multiply inner kernel: C[m×n] += A[m×k] · B[k×n], all row-major, in i-k-j order so the
/// innermost loop streams over contiguous rows of B and C.
enum MatrixMultiply {
    static func accumulate<T: RealElement>(
        _ a: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>, _ c: UnsafeMutableBufferPointer<T>,
        m: Int, k: Int, n: Int, aOffset: Int = 0, bOffset: Int = 0, cOffset: Int = 0
    ) {
        for i in 0..<m {
            let cRow = cOffset + i * n
            for p in 0..<k {
                let scale = a[aOffset + i * k + p]
                if scale == 0 { continue }
                let bRow = bOffset + p * n
                for j in 0..<n { c[cRow + j] += scale * b[bRow + j] }
            }
        }
    }

    /// Transposes a row-major rows×columns matrix.
    static func transpose<T>(_ values: [T], rows: Int, columns: Int) -> [T] {
        guard rows > 0, columns > 0 else { return values }
        var result = values
        for r in 0..<rows {
            for c in 0..<columns { result[c * rows + r] = values[r * columns + c] }
        }
        return result
    }
}
