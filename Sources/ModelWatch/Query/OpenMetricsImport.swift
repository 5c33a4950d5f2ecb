import Foundation
import ModelWatchQuery
import ModelWatchStore

/// `modelwatch import`: loads OpenMetrics text with timestamps (the input of `promtool tsdb
/// create-blocks-from openmetrics`) into a store file, for backfills and migrations.
public struct OpenMetricsImport {
    /// Why the file could not be imported: a line that does not parse (named by number), or the store.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What an import wrote.
    public struct Summary: CustomStringConvertible, Sendable {
        public var samples = 0
        public var series = 0
        public var description: String { "imported \(self.samples) samples of \(self.series) series" }
    }

    public var database: String
    public var text: String

    public init(database: String, text: String) {
        self.database = database
        self.text = text
    }

    /// Reads the text from a file.
    /// - Throws: `Failure` when the file cannot be read as UTF-8.
    public init(database: String, file: String) throws(Failure) {
        do {
            self.init(database: database, text: try String(contentsOfFile: file, encoding: .utf8))
        } catch {
            throw Failure(description: "cannot read \(file): \(error.localizedDescription)")
        }
    }

    /// Parses the whole text first, so a bad line leaves the store untouched, then appends the
    /// samples one timestamp at a time.
    /// - Throws: `Failure` naming the line, or the store's error (e.g. the file is locked by a running sidecar).
    public func run() throws(Failure) -> Summary {
        var byTime: [Int64: [(key: SeriesKey, value: Double)]] = [:]
        var keys = Set<SeriesKey>()
        var summary = Summary()
        var lineNumber = 0
        for rawLine in self.text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                if line == "# EOF" { break }
                continue
            }
            guard let sample = Self.sample(Array(line.utf8)) else {
                throw Failure(description: "line \(lineNumber): not an OpenMetrics sample with a timestamp: \(line)")
            }
            byTime[sample.timestamp, default: []].append((sample.key, sample.value))
            keys.insert(sample.key)
            summary.samples += 1
        }
        summary.series = keys.count
        do {
            let store = try TimeSeriesStore(path: self.database)
            for timestamp in byTime.keys.sorted() {
                try store.append(byTime[timestamp] ?? [], at: timestamp)
            }
        } catch {
            throw Failure(description: error.description)
        }
        return summary
    }

    /// `name{label="value",…} value timestamp [# exemplar]`; the timestamp in seconds.
    static func sample(_ bytes: [UInt8]) -> (key: SeriesKey, value: Double, timestamp: Int64)? {
        var index = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: "{"), bytes[index] != UInt8(ascii: " ") { index += 1 }
        let name = String(decoding: bytes[0..<index], as: UTF8.self)
        guard !name.isEmpty else { return nil }
        var labels: [SeriesKey.Label] = []
        if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "}") {
                let nameStart = index
                while index < bytes.count, bytes[index] != UInt8(ascii: "=") { index += 1 }
                let label = String(decoding: bytes[nameStart..<index], as: UTF8.self).trimmingSpaces
                index += 1
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
                index += 1
                var value: [UInt8] = []
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                        index += 1
                        value.append(bytes[index] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : bytes[index])
                    } else {
                        value.append(bytes[index])
                    }
                    index += 1
                }
                guard index < bytes.count else { return nil }
                index += 1
                labels.append(SeriesKey.Label(label, String(decoding: value, as: UTF8.self)))
                if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1 }
            }
            guard index < bytes.count else { return nil }
            index += 1
        }
        let rest = String(decoding: bytes[index...], as: UTF8.self)
        let fields = rest.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let value = GoFloat.parse(String(fields[0])), let seconds = Double(fields[1]),
            seconds.isFinite, abs(seconds * 1000) <= Double(QueryEngine.latestTime)
        else {
            return nil
        }
        if fields.count > 2 && fields[2] != "#" { return nil }
        return (SeriesKey(name: name, labels: labels), value, Int64((seconds * 1000).rounded()))
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
