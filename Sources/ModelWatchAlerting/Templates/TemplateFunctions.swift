import Foundation

/// A function's failure, before the executor adds the template's position.
struct TemplateFunctionError: Error {
    let message: String
}

/// Go's template built-ins and the Prometheus functions rule files use.
enum TemplateFunctions {
    static let names: Set<String> = [
        "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "index", "print", "printf", "println",
        "humanize", "humanize1024", "humanizePercentage", "humanizeDuration", "toUpper", "toLower", "title",
        "reReplaceAll", "match", "safeHtml", "stripPort", "stripDomain", "parseDuration",
    ]

    private static let arity: [String: Int] = [
        "not": 1, "len": 1, "humanize": 1, "humanize1024": 1, "humanizePercentage": 1, "humanizeDuration": 1, "toUpper": 1,
        "toLower": 1, "title": 1, "reReplaceAll": 3, "match": 2, "safeHtml": 1, "stripPort": 1, "stripDomain": 1,
        "parseDuration": 1,
    ]

    static func call(_ name: String, _ arguments: [TemplateValue]) throws(TemplateFunctionError) -> TemplateValue {
        if let count = Self.arity[name], arguments.count != count {
            throw TemplateFunctionError(message: "wrong number of args for \(name): want \(count) got \(arguments.count)")
        }
        func failed(_ message: String) -> TemplateFunctionError { TemplateFunctionError(message: "error calling \(name): \(message)") }
        switch name {
        case "and":
            guard let first = arguments.first else {
                throw TemplateFunctionError(message: "wrong number of args for and: want at least 1 got 0")
            }
            return arguments.first { !$0.isTrue } ?? arguments.last ?? first
        case "or":
            guard let first = arguments.first else {
                throw TemplateFunctionError(message: "wrong number of args for or: want at least 1 got 0")
            }
            return arguments.first { $0.isTrue } ?? arguments.last ?? first
        case "not": return .bool(!arguments[0].isTrue)
        case "eq", "ne", "lt", "le", "gt", "ge":
            guard arguments.count >= 2 else {
                throw TemplateFunctionError(message: "wrong number of args for \(name): want 2 got \(arguments.count)")
            }
            if name == "eq" {
                for other in arguments.dropFirst() where try Self.compare(arguments[0], other, name) == 0 { return .bool(true) }
                return .bool(false)
            }
            let order = try Self.compare(arguments[0], arguments[1], name)
            switch name {
            case "ne": return .bool(order != 0)
            case "lt": return .bool(order < 0)
            case "le": return .bool(order <= 0)
            case "gt": return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case "len":
            switch arguments[0] {
            case .string(let text): return .int(text.utf8.count)
            case .labels(let map): return .int(map.count)
            case .list(let items): return .int(items.count)
            default: throw failed("len of type \(arguments[0].typeName)")
            }
        case "index":
            guard var value = arguments.first else {
                throw TemplateFunctionError(message: "wrong number of args for index: want at least 1 got 0")
            }
            for key in arguments.dropFirst() {
                switch (value, key) {
                case (.labels(let map), .string(let name)): value = .string(map[name] ?? "")
                case (.list(let items), .int(let position)):
                    guard items.indices.contains(position) else { throw failed("index out of range: \(position)") }
                    value = items[position]
                default: throw failed("can't index item of type \(value.typeName)")
                }
            }
            return value
        case "print": return .string(Self.sprint(arguments))
        case "println": return .string(arguments.map(\.printed).joined(separator: " ") + "\n")
        case "printf":
            guard case .string(let format)? = arguments.first else {
                throw TemplateFunctionError(message: "wrong type for value; expected string; got \(arguments.first?.typeName ?? "<nil>")")
            }
            return .string(GoPrintf.format(format, Array(arguments.dropFirst())))
        case "humanize":
            let value = try Self.float(arguments[0], failed)
            if value == 0 || value.isNaN || value.isInfinite { return .string(GoFormat.float(value, verb: "g", precision: 4)) }
            return .string(
                Self.scaled(value, by: 1000, up: ["k", "M", "G", "T", "P", "E", "Z", "Y"], down: ["m", "u", "n", "p", "f", "a", "z", "y"]))
        case "humanize1024":
            let value = try Self.float(arguments[0], failed)
            if value.magnitude <= 1 || value.isNaN || value.isInfinite { return .string(GoFormat.float(value, verb: "g", precision: 4)) }
            return .string(Self.scaled(value, by: 1024, up: ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"], down: []))
        case "humanizePercentage":
            return .string(GoFormat.float(try Self.float(arguments[0], failed) * 100, verb: "g", precision: 4) + "%")
        case "humanizeDuration":
            return .string(Self.duration(try Self.float(arguments[0], failed)))
        case "toUpper": return .string(try Self.string(arguments[0], failed).uppercased())
        case "toLower": return .string(try Self.string(arguments[0], failed).lowercased())
        case "title": return .string(Self.title(try Self.string(arguments[0], failed)))
        case "safeHtml": return .string(try Self.string(arguments[0], failed))
        case "reReplaceAll":
            let pattern = try Self.string(arguments[0], failed)
            let replacement = try Self.string(arguments[1], failed)
            let text = try Self.string(arguments[2], failed)
            return .string(try GoRegex.replaceAll(pattern, replacement, in: text, failed))
        case "match":
            let pattern = try Self.string(arguments[0], failed)
            return .bool(try GoRegex.matches(pattern, try Self.string(arguments[1], failed), failed))
        case "stripPort":
            let text = try Self.string(arguments[0], failed)
            guard let colon = text.lastIndex(of: ":") else { return .string(text) }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            return .string(host)
        case "stripDomain":
            let text = try Self.string(arguments[0], failed)
            var host = text
            var port = ""
            if let colon = text.lastIndex(of: ":"), !text.hasPrefix("[") {
                host = String(text[..<colon])
                port = String(text[colon...])
            }
            if let dot = host.firstIndex(of: "."), Double(host) == nil, !host.allSatisfy({ $0.isNumber || $0 == "." }) {
                host = String(host[..<dot])
            }
            return .string(host + port)
        case "parseDuration":
            let text = try Self.string(arguments[0], failed)
            guard let milliseconds = RuleDuration.parse(text) else { throw failed("not a valid duration string: \"\(text)\"") }
            return .float(Double(milliseconds) / 1000)
        default:
            throw TemplateFunctionError(message: "function \"\(name)\" not defined")
        }
    }

    /// `fmt.Sprint`: spaces between operands when neither side is a string.
    private static func sprint(_ arguments: [TemplateValue]) -> String {
        var result = ""
        for (index, argument) in arguments.enumerated() {
            if index > 0 {
                let previousIsString: Bool
                if case .string = arguments[index - 1] { previousIsString = true } else { previousIsString = false }
                let isString: Bool
                if case .string = argument { isString = true } else { isString = false }
                if !previousIsString && !isString { result += " " }
            }
            result += argument.printed
        }
        return result
    }

    private static func compare(_ left: TemplateValue, _ right: TemplateValue, _ name: String) throws(TemplateFunctionError) -> Int {
        func order<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }
        switch (left, right) {
        case (.int(let a), .int(let b)): return order(a, b)
        case (.float(let a), .float(let b)): return order(a, b)
        case (.string(let a), .string(let b)): return order(a, b)
        case (.bool(let a), .bool(let b)) where name == "eq" || name == "ne": return a == b ? 0 : 1
        case (.null, _), (_, .null): throw TemplateFunctionError(message: "error calling \(name): invalid type for comparison")
        default: throw TemplateFunctionError(message: "error calling \(name): incompatible types for comparison")
        }
    }

    static func float(_ value: TemplateValue, _ failed: (String) -> TemplateFunctionError) throws(TemplateFunctionError) -> Double {
        switch value {
        case .float(let number): return number
        case .int(let number): return Double(number)
        case .string(let text):
            guard let number = Self.parseGoFloat(text) else {
                throw failed("strconv.ParseFloat: parsing \(GoPrintf.quote(text)): invalid syntax")
            }
            return number
        default: throw failed("can't convert \(value.typeName) to float")
        }
    }

    private static func parseGoFloat(_ text: String) -> Double? {
        switch text.lowercased() {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default:
            guard !text.isEmpty, !text.contains(" ") else { return nil }
            return Double(text)
        }
    }

    private static func string(_ value: TemplateValue, _ failed: (String) -> TemplateFunctionError) throws(TemplateFunctionError) -> String
    {
        guard case .string(let text) = value else {
            throw failed("wrong type for value; expected string; got \(value.typeName)")
        }
        return text
    }

    private static func scaled(_ value: Double, by base: Double, up: [String], down: [String]) -> String {
        var scaled = value
        var prefix = ""
        if value.magnitude >= 1 {
            for unit in up {
                if scaled.magnitude < base { break }
                prefix = unit
                scaled /= base
            }
        } else {
            for unit in down {
                if scaled.magnitude >= 1 { break }
                prefix = unit
                scaled *= base
            }
        }
        return GoFormat.float(scaled, verb: "g", precision: 4) + prefix
    }

    private static func duration(_ input: Double) -> String {
        if input.isNaN || input.isInfinite { return GoFormat.float(input, verb: "g", precision: 4) }
        if input == 0 { return GoFormat.float(input, verb: "g", precision: 4) + "s" }
        var value = input
        if value.magnitude >= 1 {
            var sign = ""
            if value < 0 {
                sign = "-"
                value = -value
            }
            let whole = Int64(value)
            let seconds = whole % 60
            let minutes = (whole / 60) % 60
            let hours = (whole / 3600) % 24
            let days = whole / 86_400
            if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(seconds)s" }
            if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(seconds)s" }
            if minutes != 0 { return "\(sign)\(minutes)m \(seconds)s" }
            return sign + GoFormat.float(value, verb: "g", precision: 4) + "s"
        }
        var prefix = ""
        for unit in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if value.magnitude >= 1 { break }
            prefix = unit
            value *= 1000
        }
        return GoFormat.float(value, verb: "g", precision: 4) + prefix + "s"
    }

    /// `strings.Title`: the first letter of each word in upper case.
    private static func title(_ text: String) -> String {
        var result = ""
        var previousIsSeparator = true
        for character in text {
            if previousIsSeparator { result += character.uppercased() } else { result.append(character) }
            if character.isASCII {
                previousIsSeparator = !(character.isLetter || character.isNumber || character == "_")
            } else {
                previousIsSeparator = character.isWhitespace
            }
        }
        return result
    }
}
