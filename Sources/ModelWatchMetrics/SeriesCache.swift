import Synchronization

/// Series handles by label set, so recording skips the registry's name validation and lookup.
///
/// The registry never forgets a series, and label values are bounded before they get here, so
/// the cache is bounded by the same limits.
final class SeriesCache<Key: Hashable & Sendable, Series: Sendable>: Sendable {
    private let series = Mutex<[Key: Series]>([:])
    private let make: @Sendable (Key) -> Series

    init(make: @escaping @Sendable (Key) -> Series) {
        self.make = make
    }

    subscript(key: Key) -> Series {
        self.series.withLock { cache in
            if let existing = cache[key] { return existing }
            let created = self.make(key)
            cache[key] = created
            return created
        }
    }
}
