/// Formats numbers as Go's `strconv.FormatFloat(v, 'f', -1, 64)` does, which Prometheus uses for
/// sample values in JSON and for `count_values` labels: the shortest digits that read back to the
/// same value, never an exponent (`2`, `0.1`, `100000000000000000000`, `+Inf`, `NaN`).
public enum GoFloat {
    /// - Returns: the shortest plain decimal text that reads back as `value`.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        // Swift's description is also the shortest round-trip form; only its layout differs.
        var text = "\(value.magnitude)"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        var integerPart = text
        var fractionPart = ""
        if let dot = text.firstIndex(of: ".") {
            integerPart = String(text[..<dot])
            fractionPart = String(text[text.index(after: dot)...])
        }
        var digits = integerPart + fractionPart
        var pointPosition = integerPart.count + exponent
        // Strip leading zeros (keeping the point where it belongs).
        while digits.count > 1, digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.count > 1, digits.last == "0", digits.count > max(pointPosition, 1) { digits.removeLast() }
        var result: String
        if pointPosition <= 0 {
            result = "0." + String(repeating: "0", count: -pointPosition) + digits
        } else if pointPosition >= digits.count {
            result = digits + String(repeating: "0", count: pointPosition - digits.count)
        } else {
            let index = digits.index(digits.startIndex, offsetBy: pointPosition)
            result = digits[..<index] + "." + digits[index...]
        }
        if result.contains(".") {
            while result.last == "0" { result.removeLast() }
            if result.last == "." { result.removeLast() }
        }
        return (value < 0 ? "-" : "") + result
    }

    /// Reads a number as Go's `strconv.ParseFloat` does for the forms Prometheus meets (`+Inf`, `NaN`, `1e3`, `0x1p-2`).
    public static func parse(_ text: String) -> Double? {
        guard !text.isEmpty, !text.contains(" "), !text.contains("_") else { return nil }
        switch text.lowercased() {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default: return Double(text)
        }
    }
}
