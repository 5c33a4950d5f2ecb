/// Go's `regexp` as templates use it (`reReplaceAll`, `match`), on Swift's regular expressions.
enum GoRegex {
    static func matches(_ pattern: String, _ text: String, _ failed: (String) -> TemplateFunctionError) throws(TemplateFunctionError)
        -> Bool
    {
        let regex = try Self.compile(pattern, failed)
        return text.contains(regex)
    }

    /// `Regexp.ReplaceAllString`: `$1`, `${1}`, `$name` and `$$` in the replacement.
    static func replaceAll(_ pattern: String, _ replacement: String, in text: String, _ failed: (String) -> TemplateFunctionError)
        throws(TemplateFunctionError) -> String
    {
        let regex = try Self.compile(pattern, failed)
        var result = ""
        var last = text.startIndex
        for match in text.matches(of: regex) {
            result += text[last..<match.range.lowerBound]
            result += Self.expand(replacement, match)
            last = match.range.upperBound
        }
        result += text[last...]
        return result
    }

    private static func compile(_ pattern: String, _ failed: (String) -> TemplateFunctionError) throws(TemplateFunctionError) -> Regex<
        AnyRegexOutput
    > {
        do {
            return try Regex(pattern)
        } catch {
            throw failed("error parsing regexp: \(error)")
        }
    }

    private static func expand(_ template: String, _ match: Regex<AnyRegexOutput>.Match) -> String {
        var output = ""
        var characters = template[...]
        while let dollar = characters.firstIndex(of: "$") {
            output += characters[..<dollar]
            characters = characters[characters.index(after: dollar)...]
            if characters.first == "$" {
                output += "$"
                characters = characters.dropFirst()
                continue
            }
            var name = ""
            if characters.first == "{" {
                guard let close = characters.firstIndex(of: "}") else {
                    output += "$"
                    continue
                }
                name = String(characters[characters.index(after: characters.startIndex)..<close])
                characters = characters[characters.index(after: close)...]
            } else {
                let end = characters.firstIndex { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_")) } ?? characters.endIndex
                name = String(characters[..<end])
                characters = characters[end...]
                if name.isEmpty {
                    output += "$"
                    continue
                }
            }
            if let index = Int(name) {
                if index < match.output.count, let substring = match.output[index].substring { output += substring }
            } else if let group = match.output[name], let substring = group.substring {
                output += substring
            }
        }
        output += characters
        return output
    }
}
