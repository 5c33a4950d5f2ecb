extension Evaluator {
    /// `label_replace(v, dst, replacement, src, regex)`.
    func labelReplace(_ arguments: [PromQLExpression], at time: Int64) throws(QueryError) -> [VectorSample] {
        let destination = try self.evaluateString(arguments[1], at: time)
        let replacement = try self.evaluateString(arguments[2], at: time)
        let source = try self.evaluateString(arguments[3], at: time)
        let pattern = try self.evaluateString(arguments[4], at: time)
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex("^(?:" + pattern + ")$")
        } catch {
            throw QueryError(.execution, "invalid regular expression in label_replace(): \(pattern)")
        }
        guard Parser.isValidLabelName(destination) else {
            throw QueryError(.execution, "invalid destination label name in label_replace(): \(destination)")
        }
        let samples = try self.evaluateVector(arguments[0], at: time)
        return samples.map { sample in
            let value = sample.labels[source]
            guard let match = try? regex.wholeMatch(in: value) else { return sample }
            let expanded = Self.expand(replacement, match: match)
            return VectorSample(labels: sample.labels.setting(destination, expanded), timestamp: time, value: sample.value)
        }
    }

    /// Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; an unknown group expands to nothing.
    static func expand(_ template: String, match: Regex<AnyRegexOutput>.Match) -> String {
        let characters = Array(template)
        var result = ""
        var index = 0
        func isNameCharacter(_ character: Character) -> Bool {
            character.isASCII && (character.isLetter || character.isNumber || character == "_")
        }
        while index < characters.count {
            let character = characters[index]
            guard character == "$", index + 1 < characters.count else {
                result.append(character)
                index += 1
                continue
            }
            var cursor = index + 1
            if characters[cursor] == "$" {
                result.append("$")
                index += 2
                continue
            }
            let braced = characters[cursor] == "{"
            if braced { cursor += 1 }
            let nameStart = cursor
            while cursor < characters.count, isNameCharacter(characters[cursor]) { cursor += 1 }
            let name = String(characters[nameStart..<cursor])
            if name.isEmpty || (braced && (cursor >= characters.count || characters[cursor] != "}")) {
                result.append("$")
                index += 1
                continue
            }
            if braced { cursor += 1 }
            index = cursor
            if let number = Int(name), !(name.hasPrefix("0") && name.count > 1), number < 100_000_000 {
                if number < match.output.count, let substring = match.output[number].substring {
                    result += substring
                }
            } else if let element = match.output[name], let substring = element.substring {
                result += substring
            }
        }
        return result
    }

    /// `label_join(v, dst, separator, src…)`.
    func labelJoin(_ arguments: [PromQLExpression], at time: Int64) throws(QueryError) -> [VectorSample] {
        let destination = try self.evaluateString(arguments[1], at: time)
        let separator = try self.evaluateString(arguments[2], at: time)
        var sources: [String] = []
        for argument in arguments.dropFirst(3) {
            let source = try self.evaluateString(argument, at: time)
            guard Parser.isValidLabelName(source) else {
                throw QueryError(.execution, "invalid source label name in label_join(): \(source)")
            }
            sources.append(source)
        }
        guard Parser.isValidLabelName(destination) else {
            throw QueryError(.execution, "invalid destination label name in label_join(): \(destination)")
        }
        let samples = try self.evaluateVector(arguments[0], at: time)
        return samples.map { sample in
            let joined = sources.map { sample.labels[$0] }.joined(separator: separator)
            return VectorSample(labels: sample.labels.setting(destination, joined), timestamp: time, value: sample.value)
        }
    }
}
