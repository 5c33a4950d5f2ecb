import ModelWatchStore

@testable import ModelWatchQuery

/// One file of Prometheus's PromQL test language (`load`, `clear`, `eval`, `eval_fail`,
/// `eval_ordered`), read into commands. Our own reader of the format, not Prometheus's code.
struct PromQLTestScript {
    /// One expected sample of an `eval`: labels (nil for a scalar) and a value.
    struct Expected {
        var labels: Labels?
        var value: Double
    }

    enum Command {
        case load(step: Int64, series: [(Labels, [Double?])], line: Int)
        case clear
        case eval(expression: String, time: Int64, expected: [Expected], fails: Bool, ordered: Bool, line: Int)
    }

    struct FormatError: Error, CustomStringConvertible {
        let line: Int
        let message: String
        var description: String { "line \(self.line): \(self.message)" }
    }

    var commands: [Command] = []

    init(_ text: String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        func isIndented(_ line: String) -> Bool { line.first == " " || line.first == "\t" }
        func block() -> [(String, Int)] {
            var body: [(String, Int)] = []
            while index < lines.count {
                let line = lines[index]
                let trimmed = line.trimmingWhitespace
                if trimmed.isEmpty || !isIndented(line) { break }
                index += 1
                if trimmed.hasPrefix("#") { continue }
                body.append((trimmed, index))
            }
            return body
        }
        while index < lines.count {
            let lineNumber = index + 1
            let line = lines[index].trimmingWhitespace
            index += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            let words = line.split(separator: " ", maxSplits: 1).map(String.init)
            switch words[0] {
            case "clear":
                self.commands.append(.clear)
            case "load":
                guard words.count == 2, let step = Self.duration(words[1]) else {
                    throw FormatError(line: lineNumber, message: "bad load: \(line)")
                }
                var series: [(Labels, [Double?])] = []
                for (text, number) in block() {
                    let (labels, rest) = try Self.seriesDescription(text, line: number)
                    series.append((labels, try Self.values(rest, line: number)))
                }
                self.commands.append(.load(step: step, series: series, line: lineNumber))
            case "eval", "eval_fail", "eval_ordered":
                // `eval instant at <duration> <expression>`
                let parts = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: true).map(String.init)
                guard parts.count == 5, parts[1] == "instant", parts[2] == "at", let time = Self.duration(parts[3]) else {
                    throw FormatError(line: lineNumber, message: "bad eval: \(line)")
                }
                var expected: [Expected] = []
                for (text, number) in block() {
                    if let value = GoFloat.parse(text) {
                        expected.append(Expected(labels: nil, value: value))
                        continue
                    }
                    let (labels, rest) = try Self.seriesDescription(text, line: number)
                    let values = try Self.values(rest, line: number)
                    guard let first = values.first, let value = first else {
                        throw FormatError(line: number, message: "expected a value: \(text)")
                    }
                    expected.append(Expected(labels: labels, value: value))
                }
                self.commands.append(
                    .eval(
                        expression: parts[4], time: time, expected: expected, fails: parts[0] == "eval_fail",
                        ordered: parts[0] == "eval_ordered", line: lineNumber))
            default:
                throw FormatError(line: lineNumber, message: "unknown command: \(line)")
            }
        }
    }

    static func duration(_ text: String) -> Int64? {
        if text == "0" { return 0 }
        let bytes = Array(text.utf8)
        guard let scanned = Lexer.scanDuration(bytes, from: 0), scanned.end == bytes.count else { return nil }
        return scanned.milliseconds
    }

    /// `name{a="x", b="y"} rest` → the labels and the rest of the line.
    static func seriesDescription(_ text: String, line: Int) throws -> (Labels, String) {
        let characters = Array(text)
        var index = 0
        var pairs: [SeriesKey.Label] = []
        var name = ""
        while index < characters.count, characters[index].isLetter || characters[index].isNumber || "_:".contains(characters[index]) {
            name.append(characters[index])
            index += 1
        }
        if !name.isEmpty { pairs.append(SeriesKey.Label("__name__", name)) }
        if index < characters.count, characters[index] == "{" {
            index += 1
            while true {
                while index < characters.count, characters[index] == " " || characters[index] == "," { index += 1 }
                guard index < characters.count else { throw FormatError(line: line, message: "unclosed labels: \(text)") }
                if characters[index] == "}" {
                    index += 1
                    break
                }
                var label = ""
                while index < characters.count, characters[index] != "=", characters[index] != " " {
                    label.append(characters[index])
                    index += 1
                }
                while index < characters.count, characters[index] == " " || characters[index] == "=" { index += 1 }
                guard index < characters.count, characters[index] == "\"" else {
                    throw FormatError(line: line, message: "expected a quoted value: \(text)")
                }
                index += 1
                var value = ""
                while index < characters.count, characters[index] != "\"" {
                    if characters[index] == "\\", index + 1 < characters.count {
                        index += 1
                        switch characters[index] {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        default: value.append(characters[index])
                        }
                    } else {
                        value.append(characters[index])
                    }
                    index += 1
                }
                index += 1
                pairs.append(SeriesKey.Label(label, value))
            }
        }
        return (Labels(pairs), String(characters[index...]).trimmingWhitespace)
    }

    /// `0+10x5 _ _x3 stale 1x2 NaN` → values per step, nil for a missing one; a stale marker is Prometheus's stale NaN.
    static func values(_ text: String, line: Int) throws -> [Double?] {
        var result: [Double?] = []
        for item in text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) {
            if item == "_" {
                result.append(nil)
                continue
            }
            if item == "stale" {
                result.append(StaleMarker.value)
                continue
            }
            if item.hasPrefix("_x"), let count = Int(item.dropFirst(2)) {
                result += Array(repeating: nil, count: count)
                continue
            }
            guard let xIndex = item.lastIndex(of: "x"), let count = Int(item[item.index(after: xIndex)...]) else {
                guard let value = GoFloat.parse(item) else { throw FormatError(line: line, message: "bad value \(item)") }
                result.append(value)
                continue
            }
            let head = String(item[..<xIndex])
            // `a+b` or `a-b`: the sign that is not the first character and not part of an exponent.
            var splitAt: String.Index?
            var position = head.index(after: head.startIndex)
            while position < head.endIndex {
                let character = head[position]
                let previous = head[head.index(before: position)]
                if (character == "+" || character == "-") && previous != "e" && previous != "E" { splitAt = position }
                position = head.index(after: position)
            }
            let start: Double
            var increment = 0.0
            if let splitAt {
                guard let first = GoFloat.parse(String(head[..<splitAt])), let step = GoFloat.parse(String(head[splitAt...])) else {
                    throw FormatError(line: line, message: "bad value \(item)")
                }
                start = first
                increment = step
            } else {
                guard let first = GoFloat.parse(head) else { throw FormatError(line: line, message: "bad value \(item)") }
                start = first
            }
            var value = start
            for _ in 0...count {
                result.append(value)
                value += increment
            }
        }
        return result
    }
}

extension String {
    var trimmingWhitespace: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
