/// What identifies one time series: the metric name and its label set, sorted by label name.
///
/// The same name and labels always give the same key, whatever order they came in, so a series
/// scraped before and after a restart is one series.
public struct SeriesKey: Hashable, Sendable, CustomStringConvertible {
    /// One label of a series.
    public struct Label: Hashable, Sendable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public let name: String
    /// Sorted by name; names are unique.
    public let labels: [Label]

    /// - Parameters:
    ///   - name: the metric name, as `/metrics` writes it (`…_bucket`, `…_sum` and `…_count` for histograms).
    ///   - labels: in any order; a later label of the same name replaces an earlier one.
    public init(name: String, labels: [Label] = []) {
        var byName: [String: String] = [:]
        for label in labels { byName[label.name] = label.value }
        self.name = name
        self.labels = byName.map { Label($0.key, $0.value) }.sorted { $0.name < $1.name }
    }

    /// The value of one label, or `""` as PromQL reads a missing label.
    public subscript(label name: String) -> String {
        if name == "__name__" { return self.name }
        return self.labels.first { $0.name == name }?.value ?? ""
    }

    /// The label set as the store keeps it: a JSON object with keys in order, so `sqlite3`'s JSON
    /// functions can read it (`labels->>'model'`) and equal sets are equal text.
    public var labelsJSON: String {
        var text = "{"
        for (index, label) in self.labels.enumerated() {
            if index > 0 { text += "," }
            Self.appendJSONString(label.name, to: &text)
            text += ":"
            Self.appendJSONString(label.value, to: &text)
        }
        return text + "}"
    }

    /// The series as Prometheus writes it: `name{a="x",b="y"}`.
    public var description: String {
        guard !self.labels.isEmpty else { return self.name }
        let pairs = self.labels.map { label in
            let escaped = label.value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
            return "\(label.name)=\"\(escaped)\""
        }
        return "\(self.name){\(pairs.joined(separator: ","))}"
    }

    private static func appendJSONString(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            case "\r": text += "\\r"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}

extension SeriesKey {
    /// Reads back what `labelsJSON` wrote: a flat JSON object of strings.
    /// - Returns: `nil` when the text is not such an object.
    init?(name: String, labelsJSON: String) {
        var reader = LabelsJSONReader(Array(labelsJSON.utf8))
        guard let labels = reader.readObject() else { return nil }
        self.init(name: name, labels: labels)
    }
}

/// The few lines of JSON reading the store needs: a flat object whose values are strings.
private struct LabelsJSONReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func readObject() -> [SeriesKey.Label]? {
        guard self.consume(UInt8(ascii: "{")) else { return nil }
        var labels: [SeriesKey.Label] = []
        if self.consume(UInt8(ascii: "}")) { return self.index == self.bytes.count ? labels : nil }
        repeat {
            guard let name = self.readString(), self.consume(UInt8(ascii: ":")), let value = self.readString() else { return nil }
            labels.append(SeriesKey.Label(name, value))
        } while self.consume(UInt8(ascii: ","))
        guard self.consume(UInt8(ascii: "}")), self.index == self.bytes.count else { return nil }
        return labels
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard self.index < self.bytes.count, self.bytes[self.index] == byte else { return false }
        self.index += 1
        return true
    }

    private mutating func readString() -> String? {
        guard self.consume(UInt8(ascii: "\"")) else { return nil }
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll(keepingCapacity: true)
        }
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                guard self.index < self.bytes.count else { return nil }
                let escape = self.bytes[self.index]
                self.index += 1
                flush()
                switch escape {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "u"):
                    guard self.index + 4 <= self.bytes.count,
                        let code = UInt32(String(decoding: self.bytes[self.index..<self.index + 4], as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { return nil }
                    self.index += 4
                    scalars.append(scalar)
                default: scalars.append(Unicode.Scalar(escape))
                }
            default: raw.append(byte)
            }
        }
        return nil
    }
}
