import Foundation

/// Number formatting as Go's `fmt` does it, for templates: `%v` of a float64 and `printf` verbs.
enum GoFormat {
    /// `%v` of a float64: the shortest digits, exponent form when the exponent is below -4 or 6 and over
    /// (`strconv.FormatFloat(v, 'g', -1, 64)`: `100000`, `1e+06`, `1.5e-05`).
    static func shortest(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let (digits, exponent) = Self.shortestDigits(value.magnitude)
        let sign = value < 0 ? "-" : ""
        if exponent < -4 || exponent >= 6 {
            var mantissa = String(digits.prefix(1))
            if digits.count > 1 { mantissa += "." + digits.dropFirst() }
            let exponentText = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exponentText
        }
        let point = exponent + 1
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) }
        let index = digits.index(digits.startIndex, offsetBy: point)
        return sign + digits[..<index] + "." + digits[index...]
    }

    /// `strconv.FormatFloat(v, 'E', -1, 64)`: `1E+00`, `1.5E-03`, as promtool prints sample values.
    static func exponent(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        let sign = value.sign == .minus ? "-" : ""
        if value == 0 { return sign + "0E+00" }
        let (digits, exponent) = Self.shortestDigits(value.magnitude)
        var mantissa = String(digits.prefix(1))
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let exponentText = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
        return sign + mantissa + "E" + (exponent < 0 ? "-" : "+") + exponentText
    }

    /// The shortest round-trip digits of a positive finite value and the decimal exponent of the first.
    private static func shortestDigits(_ value: Double) -> (String, Int) {
        var text = "\(value)"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        var integer = text
        var fraction = ""
        if let dot = text.firstIndex(of: ".") {
            integer = String(text[..<dot])
            fraction = String(text[text.index(after: dot)...])
        }
        var digits = integer + fraction
        var point = integer.count + exponent
        while digits.count > 1, digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.count > 1, digits.last == "0" { digits.removeLast() }
        return (digits, point - 1)
    }

    /// A C-style float conversion (`%.4g`, `%.2f`, `%e`), with Go's spelling of infinities and NaN.
    static func float(_ value: Double, verb: Character, flags: String = "", width: Int? = nil, precision: Int?) -> String {
        var text: String
        if value.isNaN || value.isInfinite {
            text = value.isNaN ? "NaN" : (value > 0 ? (flags.contains("+") ? "+Inf" : "+Inf") : "-Inf")
        } else {
            var spec = "%" + flags
            if let precision { spec += ".\(precision)" }
            spec.append(verb)
            text = String(format: spec, value)
        }
        if let width, text.count < width {
            let padding = String(repeating: " ", count: width - text.count)
            text = flags.contains("-") ? text + padding : padding + text
        }
        return text
    }
}
