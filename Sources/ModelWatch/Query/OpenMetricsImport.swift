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

    /// Parses the whole text first, so a bad line leaves the store untouched, then appends the
    /// samples one timestamp at a time.
    /// - Throws: `Failure` naming the line, or the store's error (e.g. the file is locked by a running sidecar).
    public func run() throws(Failure) -> Summary {
        // Samples by time, each naming its series by index; a series' text is parsed once.
        var byTime: [Int64: [(series: Int32, value: Double)]] = [:]
        var seriesIndex: [ArraySlice<UInt8>: Int32] = [:]
        var keys: [SeriesKey] = []
        var summary = Summary()
        let bytes = Array(self.text.utf8)
        var lineStart = 0
        var lineNumber = 0
        while lineStart < bytes.count {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
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
            let index: Int32
            if let known = seriesIndex[seriesText] {
                index = known
            } else {
                guard let key = Self.series(seriesText) else { throw failure() }
                index = Int32(keys.count)
                keys.append(key)
                seriesIndex[seriesText] = index
            }
            guard let (value, timestamp) = Self.valueAndTime(line[seriesEnd...]) else { throw failure() }
            byTime[timestamp, default: []].append((index, value))
            summary.samples += 1
        }
        summary.series = keys.count
        do {
            let store = try TimeSeriesStore(path: self.database)
            for timestamp in byTime.keys.sorted() {
                try store.append((byTime[timestamp] ?? []).map { (keys[Int($0.series)], $0.value) }, at: timestamp)
            }
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
        let fields = rest.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard fields.count >= 2, let value = GoFloat.parse(String(decoding: fields[0], as: UTF8.self)),
            let seconds = Double(String(decoding: fields[1], as: UTF8.self)), seconds.isFinite,
            abs(seconds * 1000) <= Double(QueryEngine.latestTime)
        else { return nil }
        if fields.count > 2 && !fields[2].elementsEqual("#".utf8) { return nil }
        return (value, Int64((seconds * 1000).rounded()))
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
