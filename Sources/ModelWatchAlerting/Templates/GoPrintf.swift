/// `fmt.Sprintf` for the verbs templates use: `%s %v %d %f %e %g %q %t %x %%`, with flags, width
/// and precision; a wrong type or a missing argument is written as Go writes it (`%!d(float64=1.5)`).
enum GoPrintf {
    static func format(_ format: String, _ arguments: [TemplateValue]) -> String {
        var output = ""
        var next = 0
        var characters = format[...]
        while let percent = characters.firstIndex(of: "%") {
            output += characters[..<percent]
            characters = characters[characters.index(after: percent)...]
            var flags = ""
            while let character = characters.first, "+-# 0".contains(character) {
                flags.append(character)
                characters = characters.dropFirst()
            }
            var width: Int?
            var digits = ""
            while let character = characters.first, character.isASCII, character.isNumber {
                digits.append(character)
                characters = characters.dropFirst()
            }
            if !digits.isEmpty { width = Int(digits) }
            var precision: Int?
            if characters.first == "." {
                characters = characters.dropFirst()
                var precisionDigits = ""
                while let character = characters.first, character.isASCII, character.isNumber {
                    precisionDigits.append(character)
                    characters = characters.dropFirst()
                }
                precision = Int(precisionDigits) ?? 0
            }
            guard let verb = characters.first else {
                output += "%!(NOVERB)"
                break
            }
            characters = characters.dropFirst()
            if verb == "%" {
                output += "%"
                continue
            }
            guard next < arguments.count else {
                output += "%!\(verb)(MISSING)"
                continue
            }
            let argument = arguments[next]
            next += 1
            output += Self.pad(Self.convert(argument, verb: verb, flags: flags, precision: precision), width: width, flags: flags)
        }
        output += characters
        if next < arguments.count {
            output += "%!(EXTRA " + arguments[next...].map { "\($0.typeName)=\($0.printed)" }.joined(separator: ", ") + ")"
        }
        return output
    }

    private static func pad(_ text: String, width: Int?, flags: String) -> String {
        guard let width, text.count < width else { return text }
        let fill = String(repeating: flags.contains("0") && !flags.contains("-") ? "0" : " ", count: width - text.count)
        if flags.contains("-") { return text + fill }
        if fill.first == "0", let sign = text.first, sign == "-" || sign == "+" { return String(sign) + fill + text.dropFirst() }
        return fill + text
    }

    private static func convert(_ argument: TemplateValue, verb: Character, flags: String, precision: Int?) -> String {
        let bad = "%!\(verb)(\(argument.typeName)=\(argument.printed))"
        switch verb {
        case "v":
            if case .float(let value) = argument, flags.contains("+"), value >= 0 { return "+" + argument.printed }
            return argument.printed
        case "s":
            switch argument {
            case .string(let text): return precision.map { String(text.prefix($0)) } ?? text
            case .float, .int, .bool: return bad
            default: return argument.printed
            }
        case "q":
            guard case .string(let text) = argument else { return bad }
            return Self.quote(text)
        case "t":
            guard case .bool(let value) = argument else { return bad }
            return value ? "true" : "false"
        case "d":
            guard case .int(let value) = argument else { return bad }
            return (flags.contains("+") && value >= 0 ? "+" : "") + String(value)
        case "x", "X":
            switch argument {
            case .int(let value):
                let text = String(value.magnitude, radix: 16, uppercase: verb == "X")
                return (value < 0 ? "-" : "") + text
            case .string(let text):
                return text.utf8.map { byte in
                    let hex = String(byte, radix: 16, uppercase: verb == "X")
                    return hex.count == 1 ? "0" + hex : hex
                }.joined()
            default: return bad
            }
        case "f", "F", "e", "E", "g", "G":
            guard case .float(let value) = argument else { return bad }
            let cleanFlags = flags.filter { $0 == "+" || $0 == "#" || $0 == " " }
            if verb == "g" || verb == "G", precision == nil {
                let text = GoFormat.shortest(value)
                let signed = cleanFlags.contains("+") && value >= 0 && !value.isNaN ? "+" + text : text
                return verb == "G" ? signed.uppercased() : signed
            }
            return GoFormat.float(value, verb: verb, flags: cleanFlags, precision: precision ?? 6)
        default:
            return "%!\(verb)(\(argument.typeName)=\(argument.printed))"
        }
    }

    /// `strconv.Quote` for the characters labels contain.
    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\x" + (hex.count == 1 ? "0" + hex : hex)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
