/// The spellings of durations and sizes accepted in `modelwatch.yaml`.
enum ValueSyntax {
    /// `250ms`, `5s`, `1.5m`, `2h`, `7d`.
    static func duration(_ text: String) -> Duration? {
        let units: [(suffix: String, nanoseconds: Double)] = [
            ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86_400e9),
        ]
        for unit in units where text.hasSuffix(unit.suffix) {
            let number = text.dropLast(unit.suffix.count).trimmingTrailingSpaces()
            // "ms" is tried before "s" and "m", so "5ms" is never read as seconds or minutes.
            guard let value = Double(number), value >= 0, value.isFinite else { continue }
            // Beyond about 292 years a duration has no Int64 of nanoseconds: refused, not trapped on.
            guard let nanoseconds = Int64(exactly: (value * unit.nanoseconds).rounded()) else { return nil }
            return .nanoseconds(nanoseconds)
        }
        return nil
    }

    /// `1048576`, `512KiB`, `64MiB`, `1GiB`, `10MB`, `100kB`.
    static func byteSize(_ text: String) -> Int? {
        let units: [(suffix: String, factor: Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
            ("kB", 1000), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
        ]
        for unit in units where text.hasSuffix(unit.suffix) {
            let number = text.dropLast(unit.suffix.count).trimmingTrailingSpaces()
            guard let value = Double(number), value >= 0, value.isFinite else { return nil }
            // A size beyond Int.max bytes is refused, not trapped on.
            return Int(exactly: (value * Double(unit.factor)).rounded())
        }
        return Int(text).flatMap { $0 >= 0 ? $0 : nil }
    }
}

extension Substring {
    fileprivate func trimmingTrailingSpaces() -> Substring {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
