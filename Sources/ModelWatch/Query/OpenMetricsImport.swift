import Foundation
import ModelWatchDrift
import ModelWatchQuery
import ModelWatchStore

/// `modelwatch import`: loads OpenMetrics text with timestamps (the input of `promtool tsdb
/// create-blocks-from openmetrics`) into a store file, for backfills and migrations.
public struct OpenMetricsImport {
    /// Why the file could not be imported: a line that does not parse (named by number), or the store.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, for the user.
        public let description: String
    }

    /// What an import wrote.
    public struct Summary: CustomStringConvertible, Sendable {
        /// Samples written.
        public var samples = 0
        /// Distinct series among them.
        public var series = 0
        public var description: String { "imported \(self.samples) samples of \(self.series) series" }
    }

    /// The store file to load into.
    public var database: String
    /// The OpenMetrics text.
    public var text: String

    /// An import of `text` into the store at `database`.
    public init(database: String, text: String) {
        self.database = database
        self.text = text
    }

    /// Reads the text from a file.
    /// - Throws: `Failure` when the file cannot be read as UTF-8.
    public init(database: String, file: String) throws(Failure) {
        do {
            self.init(database: database, text: try LocalFile.text(file))
        } catch {
            throw Failure(description: "cannot read \(error.description)")
        }
    }

    /// Parses the whole text first, so a bad line leaves the store untouched, then writes every
    /// series in one transaction, finished spans packed into chunks as a sidecar's maintenance
    /// would (see `TimeSeriesStore.backfill`), so queries read the history in its fast form at once.
    /// - Throws: `Failure` naming the line, or the store's error (e.g. the file is locked by a running sidecar).
    public func run() throws(Failure) -> Summary {
        try self.run(now: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// As `run()`, with the current time given (milliseconds): samples in its span stay rows.
    public func run(now: Int64) throws(Failure) -> Summary {
        // Each series' samples in file order; a series' text is parsed once. Lines of one series
        // usually follow each other, so the previous line's series is tried before the table.
        var samples: [[Sample]] = []
        var seriesIndex: [ArraySlice<UInt8>: Int] = [:]
        var keys: [SeriesKey] = []
        var previous: (text: ArraySlice<UInt8>, index: Int)? = nil
        var summary = Summary()
        let bytes = Array(self.text.utf8)
        var lineStart = 0
        var lineNumber = 0
        while lineStart < bytes.count {
            lineNumber += 1
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            defer { lineStart = lineEnd + 1 }
            var end = lineEnd
            if end > lineStart, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let line = bytes[lineStart..<end]
            if line.isEmpty { continue }
            if line.first == UInt8(ascii: "#") {
                if line.elementsEqual("# EOF".utf8) { break }
                continue
            }
            func failure() -> Failure {
                Failure(
                    description: "line \(lineNumber): not an OpenMetrics sample with a timestamp: \(String(decoding: line, as: UTF8.self))")
            }
            guard let seriesEnd = Self.seriesEnd(line) else { throw failure() }
            let seriesText = line[line.startIndex..<seriesEnd]
            let index: Int
            if let previous, previous.text.elementsEqual(seriesText) {
                index = previous.index
            } else if let known = seriesIndex[seriesText] {
                index = known
            } else {
                guard let key = Self.series(seriesText) else { throw failure() }
                index = keys.count
                keys.append(key)
                samples.append([])
                seriesIndex[seriesText] = index
            }
            previous = (seriesText, index)
            guard let (value, timestamp) = Self.valueAndTime(line[seriesEnd...]) else { throw failure() }
            samples[index].append(Sample(timestamp: timestamp, value: value))
            summary.samples += 1
        }
        summary.series = keys.count
        do {
            let store = try TimeSeriesStore(path: self.database)
            try store.backfill(Array(zip(keys, samples)), now: now)
        } catch {
            throw Failure(description: error.description)
        }
        return summary
    }

    /// Where the series part (`name` or `name{…}`) of a sample line ends; quoted values may hold braces.
    static func seriesEnd(_ line: ArraySlice<UInt8>) -> Int? {
        var index = line.startIndex
        while index < line.endIndex, line[index] != UInt8(ascii: "{"), line[index] != UInt8(ascii: " ") { index += 1 }
        guard index > line.startIndex else { return nil }
        guard index < line.endIndex, line[index] == UInt8(ascii: "{") else { return index }
        var quoted = false
        while index < line.endIndex {
            let byte = line[index]
            if quoted {
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    quoted = false
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: "}") {
                return index + 1
            }
            index += 1
        }
        return nil
    }

    /// `name{label="value",…}` as a series key.
    static func series(_ text: ArraySlice<UInt8>) -> SeriesKey? {
        var index = text.startIndex
        while index < text.endIndex, text[index] != UInt8(ascii: "{") { index += 1 }
        let name = String(decoding: text[text.startIndex..<index], as: UTF8.self)
        guard !name.isEmpty else { return nil }
        var labels: [SeriesKey.Label] = []
        if index < text.endIndex {
            index += 1
            while index < text.endIndex, text[index] != UInt8(ascii: "}") {
                let nameStart = index
                while index < text.endIndex, text[index] != UInt8(ascii: "=") { index += 1 }
                let label = String(decoding: text[nameStart..<index], as: UTF8.self).trimmingSpaces
                index += 1
                guard index < text.endIndex, text[index] == UInt8(ascii: "\"") else { return nil }
                index += 1
                var value: [UInt8] = []
                while index < text.endIndex, text[index] != UInt8(ascii: "\"") {
                    if text[index] == UInt8(ascii: "\\"), index + 1 < text.endIndex {
                        index += 1
                        value.append(text[index] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : text[index])
                    } else {
                        value.append(text[index])
                    }
                    index += 1
                }
                guard index < text.endIndex, !label.isEmpty else { return nil }
                index += 1
                labels.append(SeriesKey.Label(label, String(decoding: value, as: UTF8.self)))
                if index < text.endIndex, text[index] == UInt8(ascii: ",") { index += 1 }
            }
        }
        return SeriesKey(name: name, labels: labels)
    }

    /// ` value timestamp [# exemplar]`; the timestamp in seconds, returned in milliseconds.
    static func valueAndTime(_ rest: ArraySlice<UInt8>) -> (Double, Int64)? {
        var fields: [ArraySlice<UInt8>] = []
        var index = rest.startIndex
        while index < rest.endIndex, fields.count < 3 {
            while index < rest.endIndex, rest[index] == UInt8(ascii: " ") { index += 1 }
            let start = index
            while index < rest.endIndex, rest[index] != UInt8(ascii: " ") { index += 1 }
            if index > start { fields.append(rest[start..<index]) }
        }
        guard fields.count >= 2, let value = Self.number(fields[0]), let milliseconds = Self.milliseconds(fields[1]) else { return nil }
        if fields.count > 2 && !fields[2].elementsEqual("#".utf8) { return nil }
        return (value, milliseconds)
    }

    /// A sample value: plain integers of up to 15 digits (every counter and bucket) are read
    /// directly, being exact as a `Double`; anything else goes through Go's float syntax.
    static func number(_ text: ArraySlice<UInt8>) -> Double? {
        if let integer = Self.smallInteger(text) { return Double(integer) }
        return GoFloat.parse(String(decoding: text, as: UTF8.self))
    }

    /// Seconds as milliseconds: `s` or `s.fff` read exactly, anything else as a float rounded to the millisecond.
    static func milliseconds(_ text: ArraySlice<UInt8>) -> Int64? {
        let dot = text.firstIndex(of: UInt8(ascii: "."))
        if let seconds = Self.smallInteger(text[..<(dot ?? text.endIndex)]) {
            var millis: Int64? = dot == nil ? 0 : nil
            if let dot {
                let fraction = text[(dot + 1)...]
                if (1...3).contains(fraction.count), fraction.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                    let digits = Self.smallInteger(fraction)
                {
                    millis = digits * [1, 100, 10, 1][fraction.count]
                }
            }
            if let millis {
                let total = seconds < 0 ? seconds * 1000 - millis : seconds * 1000 + millis
                return abs(total) <= QueryEngine.latestTime ? total : nil
            }
        }
        guard let seconds = Double(String(decoding: text, as: UTF8.self)), seconds.isFinite,
            abs(seconds * 1000) <= Double(QueryEngine.latestTime)
        else { return nil }
        return Int64((seconds * 1000).rounded())
    }

    /// An optionally signed run of 1 to 15 decimal digits.
    private static func smallInteger(_ text: ArraySlice<UInt8>) -> Int64? {
        var digits = text
        let negative = digits.first == UInt8(ascii: "-")
        if negative || digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard (1...15).contains(digits.count) else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        // "-0" is left to the general path, which keeps the sign of zero.
        return negative ? (value == 0 ? nil : -value) : value
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
