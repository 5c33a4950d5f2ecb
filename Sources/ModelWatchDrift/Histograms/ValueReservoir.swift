/// A uniform random sample of bounded size from a stream of values (Vitter's algorithm R).
///
/// Deterministic: the generator is seeded, so the same stream gives the same sample, which
/// keeps baselines reproducible and tests exact.
public struct ValueReservoir<Element: Sendable>: Sendable {
    public let capacity: Int
    public private(set) var values: [Element] = []
    /// Values offered so far.
    public private(set) var seen = 0
    private var generator: SplitMix64

    public init(capacity: Int, seed: UInt64 = 0x5EED_0F_D21F7) {
        self.capacity = capacity
        self.generator = SplitMix64(seed: seed)
        self.values.reserveCapacity(min(capacity, 1024))
    }

    @inline(__always)
    public mutating func offer(_ value: Element) {
        self.seen += 1
        if self.values.count < self.capacity {
            self.values.append(value)
            return
        }
        let slot = Int(self.generator.next() % UInt64(self.seen))
        if slot < self.capacity { self.values[slot] = value }
    }

    /// A sample of at most `size` of `values`; all of them, in order, when there are few enough.
    public static func sample(_ values: [Element], size: Int) -> [Element] {
        guard values.count > size else { return values }
        var reservoir = ValueReservoir(capacity: size)
        for value in values { reservoir.offer(value) }
        return reservoir.values
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
