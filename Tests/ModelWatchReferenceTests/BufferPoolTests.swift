import Testing

@testable import ModelWatchReference

/// The pool a session recycles value storage through: a released array comes back to the next
/// kernel that needs one of its size, and an array someone still holds is never written over.
@Suite struct BufferPoolTests {
    static func address(_ values: [Float]) -> UnsafeRawPointer? {
        values.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }

    static func tensor(_ values: [Float]) -> Value {
        .tensor(Tensor(checkedShape: [values.count], .float(values)))
    }

    @Test func givesBackTheSmallestReleasedArrayThatFits() {
        var pool = BufferPool()
        var small = [Float](repeating: 1, count: 16)
        var large = [Float](repeating: 2, count: 256)
        small.reserveCapacity(16)
        large.reserveCapacity(256)
        let smallAddress = Self.address(small)
        pool.recycle(Self.tensor(small))
        pool.recycle(Self.tensor(large))
        small = []
        large = []
        let taken = pool.array(10, filledWith: Float(0))
        #expect(Self.address(taken) == smallAddress)
        #expect(taken == [Float](repeating: 0, count: 10))
        // Nothing left fits 300: the largest is grown rather than a third array kept.
        let grown = pool.array(300, filledWith: Float(0))
        #expect(grown.count == 300)
        #expect(pool.array(1, filledWith: Float(0)).capacity < 16, "the pool is empty again")
    }

    @Test func neverWritesOverAnArraySomeoneStillHolds() {
        var pool = BufferPool()
        let held = [Float](repeating: 7, count: 32)
        pool.recycle(Self.tensor(held))
        var taken = pool.array(32, filledWith: Float(0))
        taken[0] = 1
        #expect(held == [Float](repeating: 7, count: 32))
        #expect(Self.address(taken) != Self.address(held))
    }
}
