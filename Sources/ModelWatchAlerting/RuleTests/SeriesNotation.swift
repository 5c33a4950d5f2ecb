import ModelWatchQuery

/// Expands promtool's series values notation: `1 2 3`, `0+10x100` (101 values), `1-2x4`,
/// `5x3` (4 values), `_` (no sample), `_x3` (3 missing), `stale`.
enum SeriesNotation {
    /// One value of the sequence: a number, a stale marker, or nil for a missing sample.
    static func expand(_ text: String) -> [Double?]? {
        var values: [Double?] = []
        for item in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            let word = String(item)
            if word == "_" {
                values.append(nil)
                continue
            }
            if word == "stale" {
                values.append(StaleMarker.value)
                continue
            }
            // No hexadecimal here: Prometheus refuses it in series notation, so `0x10` is eleven zeros.
            guard let times = word.lastIndex(of: "x") else {
                guard let value = Self.number(word) else { return nil }
                values.append(value)
                continue
            }
            guard let count = Int(word[word.index(after: times)...]), count >= 0 else { return nil }
            let head = String(word[..<times])
            if head == "_" {
                values += Array(repeating: nil, count: count)
                continue
            }
            // `a+b` or `a-b`: the sign that splits them is not the first character nor after an exponent.
            var split: String.Index?
            var index = head.index(after: head.startIndex)
            while index < head.endIndex {
                let character = head[index]
                let previous = head[head.index(before: index)]
                if character == "+" || character == "-", previous != "e", previous != "E" { split = index }
                index = head.index(after: index)
            }
            if let split {
                guard let start = Self.number(String(head[..<split])), let step = Self.number(String(head[split...])) else { return nil }
                var value = start
                values.append(value)
                if count > 0 {
                    for _ in 1...count {
                        value += step
                        values.append(value)
                    }
                }
            } else {
                guard let value = Self.number(head) else { return nil }
                values += Array(repeating: value, count: count + 1)
            }
        }
        return values
    }

    private static func number(_ text: String) -> Double? {
        switch text.lowercased() {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan": return .nan
        default: return text.lowercased().contains("x") ? nil : GoFloat.parse(text)
        }
    }
}
