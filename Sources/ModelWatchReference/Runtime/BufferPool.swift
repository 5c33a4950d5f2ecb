/// The arrays a session keeps from run to run: the storage of values whose last reader has run,
/// handed to the kernels that produce later values instead of allocating new ones.
///
/// A kernel asks for an array of the length it needs; the pool gives the smallest one large
/// enough, or grows one (a larger batch), so once a session has run a batch size its intermediate
/// values cost no allocation. These are ordinary copy-on-write arrays: one that a caller still
/// holds (an output sharing storage with a recycled value) is replaced by a new array when taken,
/// never written over, so a tensor a run returned keeps its values; once the caller has dropped
/// it, it is reused.
struct BufferPool {
    fileprivate var floats = FreeList<Float>()
    fileprivate var doubles = FreeList<Double>()
    fileprivate var int64s = FreeList<Int64>()
    fileprivate var bools = FreeList<Bool>()
    private var shapes = FreeList<Int>()

    /// An array of `count` elements, each `value`, from the pool when one is large enough.
    mutating func array<Element: PooledElement>(_ count: Int, filledWith value: Element) -> [Element] {
        self[keyPath: Element.freeList].take(count, filledWith: value)
    }

    /// A shape array `[first, second]` from the pool.
    mutating func shape(_ first: Int, _ second: Int) -> [Int] {
        var shape = self.shapes.take(0, filledWith: 0)
        shape.append(first)
        shape.append(second)
        return shape
    }

    /// A shape array holding `dimensions` from the pool.
    mutating func shape(copying dimensions: some Collection<Int>) -> [Int] {
        var shape = self.shapes.take(0, filledWith: 0)
        shape.append(contentsOf: dimensions)
        return shape
    }

    /// Keeps an array a kernel used as scratch space.
    mutating func give<Element: PooledElement>(_ array: [Element]) {
        self[keyPath: Element.freeList].give(array)
    }

    /// Keeps a value's arrays for later kernels.
    mutating func recycle(_ value: Value) {
        guard case .tensor(let tensor) = value else { return }
        self.shapes.give(tensor.shape)
        switch tensor.storage {
        case .float(let values): self.floats.give(values)
        case .double(let values): self.doubles.give(values)
        case .int64(let values): self.int64s.give(values)
        case .bool(let values): self.bools.give(values)
        case .int32, .string: return
        }
    }
}

/// An element type whose arrays a ``BufferPool`` recycles.
protocol PooledElement {
    static var freeList: WritableKeyPath<BufferPool, FreeList<Self>> { get }
}

extension Float: PooledElement {
    static var freeList: WritableKeyPath<BufferPool, FreeList<Float>> { \.floats }
}

extension Double: PooledElement {
    static var freeList: WritableKeyPath<BufferPool, FreeList<Double>> { \.doubles }
}

extension Int64: PooledElement {
    static var freeList: WritableKeyPath<BufferPool, FreeList<Int64>> { \.int64s }
}

extension Bool: PooledElement {
    static var freeList: WritableKeyPath<BufferPool, FreeList<Bool>> { \.bools }
}

/// Released arrays of one element type.
struct FreeList<Element> {
    /// A bound, so that a session whose kernels never take back what it releases cannot grow.
    private static var limit: Int { 64 }

    private var arrays: [[Element]] = []

    /// The smallest kept array that holds `count` elements (else the largest, grown), refilled with `value`.
    mutating func take(_ count: Int, filledWith value: Element) -> [Element] {
        var fitting = -1
        var largest = -1
        for index in self.arrays.indices {
            let capacity = self.arrays[index].capacity
            if capacity >= count, fitting < 0 || capacity < self.arrays[fitting].capacity { fitting = index }
            if largest < 0 || capacity > self.arrays[largest].capacity { largest = index }
        }
        var array: [Element] = []
        let chosen = fitting >= 0 ? fitting : largest
        if chosen >= 0 {
            self.arrays.swapAt(chosen, self.arrays.count - 1)
            array = self.arrays.removeLast()
            array.removeAll(keepingCapacity: true)
        }
        array.append(contentsOf: repeatElement(value, count: count))
        return array
    }

    /// Keeps an array for a later `take`.
    mutating func give(_ array: [Element]) {
        guard array.capacity > 0, self.arrays.count < Self.limit else { return }
        self.arrays.append(array)
    }
}
