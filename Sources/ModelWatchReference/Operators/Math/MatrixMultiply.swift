/// The matrix-multiply kernels: C[m×n] += A[m×k] · B[k×n], all row-major.
///
/// Floats go through a register-blocked kernel: four rows of A against eight columns of B held in
/// SIMD accumulators, so each loaded row segment of B serves four rows and the inner loop is
/// vector arithmetic. Other element types use the plain i-k-j loop.
enum MatrixMultiply {
    static func accumulate<T: RealElement>(
        _ a: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>, _ c: UnsafeMutableBufferPointer<T>,
        m: Int, k: Int, n: Int, aOffset: Int = 0, bOffset: Int = 0, cOffset: Int = 0
    ) {
        guard m > 0, n > 0, k > 0 else { return }
        if T.self == Float.self, let aBase = a.baseAddress, let bBase = b.baseAddress, let cBase = c.baseAddress {
            Self.blocked(
                UnsafeRawPointer(aBase + aOffset).assumingMemoryBound(to: Float.self),
                UnsafeRawPointer(bBase + bOffset).assumingMemoryBound(to: Float.self),
                UnsafeMutableRawPointer(cBase + cOffset).assumingMemoryBound(to: Float.self), m: m, k: k, n: n)
            return
        }
        for i in 0..<m {
            let cRow = cOffset + i * n
            for p in 0..<k {
                let scale = a[aOffset + i * k + p]
                let bRow = bOffset + p * n
                for j in 0..<n { c[cRow + j] += scale * b[bRow + j] }
            }
        }
    }

    private static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    private static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }

    private static func blocked(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, m: Int, k: Int, n: Int
    ) {
        let wide = n - n % 8
        var i = 0
        while i + 4 <= m {
            var j = 0
            while j < wide {
                var c0 = Self.load(c + i * n + j)
                var c1 = Self.load(c + (i + 1) * n + j)
                var c2 = Self.load(c + (i + 2) * n + j)
                var c3 = Self.load(c + (i + 3) * n + j)
                for p in 0..<k {
                    let row = Self.load(b + p * n + j)
                    c0 += a[i * k + p] * row
                    c1 += a[(i + 1) * k + p] * row
                    c2 += a[(i + 2) * k + p] * row
                    c3 += a[(i + 3) * k + p] * row
                }
                Self.store(c0, c + i * n + j)
                Self.store(c1, c + (i + 1) * n + j)
                Self.store(c2, c + (i + 2) * n + j)
                Self.store(c3, c + (i + 3) * n + j)
                j += 8
            }
            i += 4
        }
        // Rows left over from the blocks of four, one at a time.
        while i < m {
            var j = 0
            while j < wide {
                var sum = Self.load(c + i * n + j)
                for p in 0..<k { sum += a[i * k + p] * Self.load(b + p * n + j) }
                Self.store(sum, c + i * n + j)
                j += 8
            }
            i += 1
        }
        // Columns left over from the blocks of eight.
        // Each is a dot product kept in a register, stored once.
        if wide < n {
            for row in 0..<m {
                let aRow = a + row &* k
                for column in wide..<n {
                    var sum = c[row &* n &+ column]
                    var bColumn = b + column
                    for p in 0..<k {
                        sum += aRow[p] * bColumn.pointee
                        bColumn += n
                    }
                    c[row &* n &+ column] = sum
                }
            }
        }
    }

    /// Transposes a row-major rows×columns matrix into an array from the pool.
    static func transpose<T: RealElement>(_ values: [T], rows: Int, columns: Int, buffers: inout BufferPool) -> [T] {
        guard rows > 0, columns > 0 else { return values }
        var result = buffers.array(values.count, filledWith: T(0))
        values.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { output in
                for r in 0..<rows {
                    for c in 0..<columns { output[c &* rows &+ r] = input[r &* columns &+ c] }
                }
            }
        }
        return result
    }
}
