import Foundation
import ModelWatchProtocols

/// Reference data read from a CSV or JSON-lines file, column by column.
///
/// CSV: a header row, then one row per example, RFC 4180 quoting; empty cells and `NaN` are
/// missing. JSON lines: one object per line; `null` is missing, booleans are 0 and 1, and nested
/// arrays become one column per element (`pixels[0]`, `pixels[1]`, …), numbered in row-major
/// order as the payload feature names are.
public struct ReferenceTable: Sendable {
    /// Column names, in the order first seen.
    public private(set) var columns: [String] = []
    private var cells: [[FeatureValue]] = []
    public private(set) var rowCount = 0
    private var index: [String: Int] = [:]

    public init() {}

    /// The values of one column, one per row.
    public func values(of column: String) -> [FeatureValue]? {
        self.index[column].map { self.cells[$0] }
    }

    /// Reads a file, by its extension: `.csv`, or `.jsonl`/`.ndjson`/`.json` for JSON lines.
    /// - Throws: `BaselineError` with the file and line of the first malformed row.
    public static func read(path: String) throws(BaselineError) -> ReferenceTable {
        let data: [UInt8]
        do {
            data = try LocalFile.read(path)
        } catch {
            throw BaselineError(.unreadable, error.description)
        }
        let lowered = path.lowercased()
        if lowered.hasSuffix(".jsonl") || lowered.hasSuffix(".ndjson") || lowered.hasSuffix(".json") {
            return try Self.parseJSONLines(data, source: path)
        }
        return try Self.parseCSV(String(decoding: data, as: UTF8.self), source: path)
    }

    /// Parses CSV text with a header row.
    public static func parseCSV(_ text: String, source: String) throws(BaselineError) -> ReferenceTable {
        var table = ReferenceTable()
        var header: [String]?
        var line = 0
        var row: [Substring] = []
        var field = ""
        var quoted = false
        var inQuotes = false
        var characters = text.makeIterator()
        var pending: Character? = characters.next()
        func endRow() throws(BaselineError) {
            line += 1
            defer { row.removeAll(keepingCapacity: true) }
            if row.count == 1, row[0].isEmpty { return }  // blank line
            guard let names = header else {
                header = row.map { String($0.trimmingCharacters(in: .whitespaces)) }
                for name in header ?? [] { table.addColumn(name) }
                return
            }
            guard row.count == names.count else {
                throw BaselineError(.badInput, "\(source):\(line): \(row.count) fields, the header has \(names.count)")
            }
            for (column, cell) in row.enumerated() {
                table.cells[column].append(FeatureValue(cell: cell))
            }
            table.rowCount += 1
        }
        while let character = pending {
            pending = characters.next()
            if inQuotes {
                if character == "\"" {
                    if pending == "\"" {
                        field.append("\"")
                        pending = characters.next()
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty && !quoted:
                inQuotes = true
                quoted = true
            case ",":
                row.append(quoted ? Substring(field) : Substring(field.trimmingCharacters(in: .whitespaces)))
                field = ""
                quoted = false
            case "\n", "\r\n", "\r":
                row.append(quoted ? Substring(field) : Substring(field.trimmingCharacters(in: .whitespaces)))
                field = ""
                quoted = false
                try endRow()
            default:
                field.append(character)
            }
        }
        if inQuotes { throw BaselineError(.badInput, "\(source):\(line + 1): a quoted field is not closed") }
        if !field.isEmpty || !row.isEmpty || quoted {
            row.append(quoted ? Substring(field) : Substring(field.trimmingCharacters(in: .whitespaces)))
            try endRow()
        }
        guard header != nil else { throw BaselineError(.badInput, "\(source): no header row") }
        return table
    }

    /// Parses JSON lines: one object per non-blank line.
    public static func parseJSONLines(_ bytes: [UInt8], source: String) throws(BaselineError) -> ReferenceTable {
        var table = ReferenceTable()
        let reader = JSONReader()
        var line = 0
        for slice in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            line += 1
            guard slice.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }) else {
                continue
            }
            let document: JSONValue
            do {
                document = try reader.parse(Array(slice))
            } catch {
                throw BaselineError(.badInput, "\(source):\(line): \(error)")
            }
            guard case .object(let members) = document else { throw BaselineError(.badInput, "\(source):\(line): not a JSON object") }
            var row: [(String, FeatureValue)] = []
            for (key, value) in members { Self.flatten(value, name: key, into: &row) }
            table.append(row)
        }
        return table
    }

    private static func flatten(_ value: JSONValue, name: String, into row: inout [(String, FeatureValue)]) {
        switch value {
        case .null: row.append((name, .missing))
        case .bool(let flag): row.append((name, .number(flag ? 1 : 0)))
        case .number(let number): row.append((name, number.isNaN ? .missing : .number(number)))
        case .string(let text): row.append((name, .text(text)))
        case .numbers, .array:
            var flat: [FeatureValue] = []
            Self.flattenElements(value, into: &flat)
            for (position, element) in flat.enumerated() { row.append(("\(name)[\(position)]", element)) }
        case .object(let members):
            for (key, member) in members { Self.flatten(member, name: "\(name).\(key)", into: &row) }
        }
    }

    private static func flattenElements(_ value: JSONValue, into flat: inout [FeatureValue]) {
        switch value {
        case .numbers(let numbers): flat.append(contentsOf: numbers.map { $0.isNaN ? .missing : .number($0) })
        case .array(let elements): for element in elements { Self.flattenElements(element, into: &flat) }
        case .number(let number): flat.append(number.isNaN ? .missing : .number(number))
        case .bool(let flag): flat.append(.number(flag ? 1 : 0))
        case .string(let text): flat.append(.text(text))
        case .null, .object: flat.append(.missing)
        }
    }

    private mutating func addColumn(_ name: String) {
        self.index[name] = self.columns.count
        self.columns.append(name)
        self.cells.append(Array(repeating: .missing, count: self.rowCount))
    }

    /// Adds one row given as (column, value) pairs; absent columns are missing.
    public mutating func append(_ row: [(String, FeatureValue)]) {
        for (name, _) in row where self.index[name] == nil { self.addColumn(name) }
        for column in self.cells.indices { self.cells[column].append(.missing) }
        for (name, value) in row {
            if let column = self.index[name] { self.cells[column][self.rowCount] = value }
        }
        self.rowCount += 1
    }
}
