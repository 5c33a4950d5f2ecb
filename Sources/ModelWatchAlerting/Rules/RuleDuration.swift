import ModelWatchQuery

/// Durations as rule files write them (Prometheus's `model.Duration`).
public enum RuleDuration {
    /// Reads `30s`, `1h30m`, `100ms` or `0` as milliseconds.
    /// - Returns: nil when the text is not a duration.
    public static func parse(_ text: String) -> Int64? {
        if text == "0" { return 0 }
        return Parser.duration(text)
    }

    /// Writes milliseconds as Go's `model.Duration.String()` does (`1m`, `1h30m`, `1d`, `0s`).
    public static func format(_ milliseconds: Int64) -> String {
        if milliseconds == 0 { return "0s" }
        var remaining = milliseconds
        var text = ""
        let units: [(String, Int64)] = [
            ("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
        ]
        for (unit, size) in units where remaining >= size {
            text += "\(remaining / size)\(unit)"
            remaining %= size
        }
        return text
    }
}
