/// Numpy-style multidirectional broadcasting.
enum Broadcasting {
    /// The most elements a broadcast result may have; a guard against shapes that would exhaust memory.
    static let maximumElements = 1 << 26

    /// The broadcast shape of two shapes, or an error when a pair of dimensions differs and neither is 1.
    static func shape(_ a: [Int], _ b: [Int]) throws(ReferenceError) -> [Int] {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let x = axis - (rank - a.count) >= 0 ? a[axis - (rank - a.count)] : 1
            let y = axis - (rank - b.count) >= 0 ? b[axis - (rank - b.count)] : 1
            guard x == y || x == 1 || y == 1 else {
                throw ReferenceError(.executionFailed, "shapes \(a) and \(b) cannot be broadcast")
            }
            result[axis] = x == 1 ? y : x
        }
        guard let count = Tensor.elementCount(result), count <= Self.maximumElements else {
            throw ReferenceError(.executionFailed, "broadcasting \(a) and \(b) gives more than \(Self.maximumElements) elements")
        }
        return result
    }

    /// Strides of `shape` seen through the broadcast `target` shape: 0 where the dimension is broadcast.
    static func strides(of shape: [Int], in target: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: target.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            let targetAxis = axis + target.count - shape.count
            strides[targetAxis] = shape[axis] == 1 ? 0 : step
            step *= shape[axis]
        }
        return strides
    }

    /// For each element of `target`, the index into a tensor of `shape` that broadcasts to it.
    static func indices(of shape: [Int], in target: [Int]) -> [Int] {
        let count = Tensor.elementCount(target) ?? 0
        if shape == target { return Array(0..<count) }
        let strides = self.strides(of: shape, in: target)
        var result = [Int](repeating: 0, count: count)
        guard count > 0 else { return result }
        var counter = [Int](repeating: 0, count: target.count)
        var offset = 0
        for index in 0..<count {
            result[index] = offset
            var axis = target.count - 1
            while axis >= 0 {
                counter[axis] += 1
                offset += strides[axis]
                if counter[axis] < target[axis] { break }
                offset -= strides[axis] * counter[axis]
                counter[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    /// Applies `operation` elementwise over the broadcast of `a` and `b`.
    static func apply<A, B, R>(
        _ a: [A], _ aShape: [Int], _ b: [B], _ bShape: [Int], _ operation: (A, B) -> R
    ) throws(ReferenceError) -> (values: [R], shape: [Int]) {
        let shape = try self.shape(aShape, bShape)
        if aShape == bShape {
            return (Self.combine(a, b, count: a.count, width: b.count, operation), shape)
        }
        if b.count == 1, a.count == Tensor.elementCount(shape) {
            let scalar = b[0]
            return (a.map { operation($0, scalar) }, shape)
        }
        if a.count == 1, b.count == Tensor.elementCount(shape) {
            let scalar = a[0]
            return (b.map { operation(scalar, $0) }, shape)
        }
        // A trailing operand (a bias row, a per-feature vector) repeats every `b.count` elements.
        if aShape == shape, b.count > 0, a.count % b.count == 0, Self.isTrailing(bShape, of: shape) {
            return (Self.combine(a, b, count: a.count, width: b.count, operation), shape)
        }
        let aIndices = self.indices(of: aShape, in: shape)
        let bIndices = self.indices(of: bShape, in: shape)
        var values: [R] = []
        values.reserveCapacity(aIndices.count)
        for position in 0..<aIndices.count { values.append(operation(a[aIndices[position]], b[bIndices[position]])) }
        return (values, shape)
    }

    /// `operation(a[i], b[i % width])` for every i, row by row over unsafe buffers (no division per element).
    @inline(__always)
    static func combine<A, B, R>(_ a: [A], _ b: [B], count: Int, width: Int, _ operation: (A, B) -> R) -> [R] {
        guard count > 0, width > 0 else { return [] }
        return a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                [R](unsafeUninitializedCapacity: count) { output, initialized in
                    var base = 0
                    while base < count {
                        for j in 0..<width { (output.baseAddress! + base + j).initialize(to: operation(x[base + j], y[j])) }
                        base += width
                    }
                    initialized = count
                }
            }
        }
    }

    /// Whether `shape`, leading 1s removed, equals the trailing dimensions of `target`.
    static func isTrailing(_ shape: [Int], of target: [Int]) -> Bool {
        let trimmed = shape.drop { $0 == 1 }
        return trimmed.count <= target.count && target.suffix(trimmed.count).elementsEqual(trimmed)
    }

    /// `operation` over `a` and `b` into an array from the pool, for the broadcasts that need no
    /// index tables (equal shapes, a scalar, a trailing operand such as a bias row); nil for others.
    /// The result's shape is one of the operands' own shape arrays, so it costs nothing either.
    @inline(__always)
    static func apply<T: RealElement>(
        _ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int], buffers: inout BufferPool, _ operation: (T, T) -> T
    ) -> (values: [T], shape: [Int])? {
        if a.count == 1, aShape.count <= bShape.count, aShape != bShape {
            var values = buffers.array(b.count, filledWith: T(0))
            let scalar = a[0]
            Self.map(b, into: &values) { operation(scalar, $0) }
            return (values, bShape)
        }
        guard b.count > 0, bShape.count <= aShape.count, aShape == bShape || b.count == 1 || Self.isTrailing(bShape, of: aShape) else {
            return nil
        }
        var values = buffers.array(a.count, filledWith: T(0))
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                values.withUnsafeMutableBufferPointer { output in
                    let width = y.count
                    var base = 0
                    while base < output.count {
                        for j in 0..<width { output[base &+ j] = operation(x[base &+ j], y[j]) }
                        base += width
                    }
                }
            }
        }
        return (values, aShape)
    }

    /// `transform(values[i])` into `output[i]` (of the same count) over unsafe buffers, so simple closures vectorize.
    @inline(__always)
    static func map<T, R>(_ values: [T], into output: inout [R], _ transform: (T) -> R) {
        values.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                for index in 0..<input.count { output[index] = transform(input[index]) }
            }
        }
    }

    /// Repeats a tensor's elements to fill a broadcast target shape.
    static func expand<T>(_ values: [T], _ shape: [Int], to target: [Int]) throws(ReferenceError) -> [T] {
        if shape == target { return values }
        guard try self.shape(shape, target) == target else {
            throw ReferenceError(.executionFailed, "shape \(shape) does not broadcast to \(target)")
        }
        return self.indices(of: shape, in: target).map { values[$0] }
    }
}
