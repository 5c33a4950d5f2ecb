/// One line of the text exposition: a series and its current value.
///
/// The store's self-scrape reads these from the very text `/metrics` serves, so what it records
/// has the same names, labels and values an external Prometheus scrapes.
public struct ExposedSample: Sendable {
    public let name: String
    /// In the order the exposition wrote them.
    public let labels: [(name: String, value: String)]
    public let value: Double
}

extension ExposedSample {
    /// Every sample line of a text exposition (format 0.0.4); comments and lines that do not
    /// parse are skipped.
    public static func parse(_ exposition: [UInt8]) -> [ExposedSample] {
        var samples: [ExposedSample] = []
        for line in exposition.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard line.first != UInt8(ascii: "#"), let sample = Self.parse(line: line) else { continue }
            samples.append(sample)
        }
        return samples
    }

    private static func parse(line: ArraySlice<UInt8>) -> ExposedSample? {
        var index = line.startIndex
        while index < line.endIndex, line[index] != UInt8(ascii: "{"), line[index] != UInt8(ascii: " ") { index += 1 }
        guard index > line.startIndex, index < line.endIndex else { return nil }
        let name = String(decoding: line[line.startIndex..<index], as: UTF8.self)
        var labels: [(name: String, value: String)] = []
        if line[index] == UInt8(ascii: "{") {
            index += 1
            while index < line.endIndex, line[index] != UInt8(ascii: "}") {
                let nameStart = index
                while index < line.endIndex, line[index] != UInt8(ascii: "=") { index += 1 }
                guard index + 1 < line.endIndex, line[index + 1] == UInt8(ascii: "\"") else { return nil }
                let labelName = String(decoding: line[nameStart..<index], as: UTF8.self)
                index += 2
                var value: [UInt8] = []
                while index < line.endIndex, line[index] != UInt8(ascii: "\"") {
                    if line[index] == UInt8(ascii: "\\"), index + 1 < line.endIndex {
                        index += 1
                        value.append(line[index] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : line[index])
                    } else {
                        value.append(line[index])
                    }
                    index += 1
                }
                guard index < line.endIndex else { return nil }
                labels.append((labelName, String(decoding: value, as: UTF8.self)))
                index += 1
                if index < line.endIndex, line[index] == UInt8(ascii: ",") { index += 1 }
            }
            guard index < line.endIndex else { return nil }
            index += 1
        }
        // The value, then an optional timestamp that the registry never writes.
        let rest = line[index...].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard let text = rest.first, let value = Self.number(String(decoding: text, as: UTF8.self)) else { return nil }
        return ExposedSample(name: name, labels: labels, value: value)
    }

    private static func number(_ text: String) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }
}
