import NIOCore

/// The backend's final response head, kept as the raw bytes libcurl received.
///
/// Only the status is read inside libcurl's header callback; header fields are parsed where
/// they are used, and only if they are, which keeps the callback lean.
public struct UpstreamResponseHead: Sendable {
    public let status: Int
    /// The header lines after the status line, each with its line ending.
    let fieldLines: ByteBuffer
    /// How many field lines the head holds: at least its number of fields.
    let fieldLineCount: Int

    /// - Parameters:
    ///   - fieldLineCount: the lines in `fieldLines`, when the caller counted them as they came.
    init(status: Int, fieldLines: ByteBuffer, fieldLineCount: Int? = nil) {
        self.status = status
        self.fieldLines = fieldLines
        self.fieldLineCount = fieldLineCount ?? fieldLines.readableBytesView.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    /// Builds a head from header lines at hand (benchmarks), as libcurl would have delivered them.
    /// - Parameters:
    ///   - fields: `(name, value)` pairs, written one `name: value\r\n` line each.
    public init(status: Int, fields: [(name: String, value: String)]) {
        self.init(status: status, fieldLines: ByteBuffer(string: fields.map { "\($0.name): \($0.value)\r\n" }.joined()))
    }

    /// The header fields in order, repeats kept, values trimmed of surrounding whitespace;
    /// obsolete folded lines (RFC 9112 §5.2) are joined to the field they continue.
    public var headers: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        self.forEachField { name, value in fields.append((name, value)) }
        return fields
    }

    /// Calls `body` with each header field of `headers`, in order, without building the array:
    /// the proxy copies the fields straight into the client's answer.
    func forEachField(_ body: (consuming String, consuming String) -> Void) {
        // A field is handed on once the next line shows it is not folded.
        var pending: (name: String, value: String)?
        self.forEachLine { line in
            if Self.isContinuation(line) {
                pending?.value += " " + Self.trimmed(line)
            } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                if let field = pending.take() {
                    body(field.name, field.value)
                }
                let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<colon]), as: UTF8.self)
                pending = (name, Self.trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...])))
            }
            return true
        }
        if let field = pending.take() {
            body(field.name, field.value)
        }
    }

    /// The value of the first field called `lowercasedName`, as `headers` would give it, without
    /// making strings of the other fields.
    public func value(of lowercasedName: String) -> String? {
        self.values(of: lowercasedName, lowercasedName).first
    }

    /// The values of the first fields called `first` and `second` (lowercased), as `value(of:)`
    /// gives each, in one pass over the head: the analysis pipeline asks for two per exchange.
    public func values(of first: String, _ second: String) -> (first: String?, second: String?) {
        var first = first
        var second = second
        return first.withUTF8 { first in second.withUTF8 { second in self.values(of: (first, second)) } }
    }

    private func values(of wanted: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>)) -> (first: String?, second: String?) {
        var found: (first: String?, second: String?) = (nil, nil)
        // Which of the two the last field line gave: a folded line continues that value.
        var continuing: WritableKeyPath<(first: String?, second: String?), String?>?
        self.forEachLine { line in
            if Self.isContinuation(line) {
                if let continuing, let value = found[keyPath: continuing] {
                    found[keyPath: continuing] = value + " " + Self.trimmed(line)
                }
                return true
            }
            guard found.first == nil || found.second == nil else { return false }
            continuing = nil
            if found.first == nil, let value = Self.value(of: wanted.0, in: line) {
                found.first = value
                continuing = \.first
            } else if found.second == nil, let value = Self.value(of: wanted.1, in: line) {
                found.second = value
                continuing = \.second
            }
            return true
        }
        return found
    }

    /// The field line's value when its name is `wanted`, else `nil`.
    private static func value(of wanted: UnsafeBufferPointer<UInt8>, in line: UnsafeRawBufferPointer) -> String? {
        // The name is compared where it lies: a name holds no colon, so matching bytes followed by
        // one are the field's whole name.
        let colon = wanted.count
        guard line.count > colon, line[colon] == UInt8(ascii: ":"),
            line.withMemoryRebound(to: UInt8.self, { HeaderNameBytes.equal(UnsafeBufferPointer(rebasing: $0[0..<colon]), wanted) })
        else { return nil }
        return Self.trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...]))
    }

    /// Calls `body` with each non-empty line, without its line ending, until it returns `false`.
    private func forEachLine(_ body: (UnsafeRawBufferPointer) -> Bool) {
        self.fieldLines.withUnsafeReadableBytes { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
                var lineEnd = end
                if lineEnd > start && bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                let line = UnsafeRawBufferPointer(rebasing: bytes[start..<lineEnd])
                start = end + 1
                guard !line.isEmpty else { continue }
                guard body(line) else { return }
            }
        }
    }

    private static func isContinuation(_ line: UnsafeRawBufferPointer) -> Bool {
        line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t")
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> String {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
        while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}

/// Finds the final response head among the lines libcurl hands to its header callback.
///
/// libcurl reports every header block it sees: interim `1xx` heads, the final head and, after a
/// chunked body, trailers. Only the final head is kept; trailers are dropped.
struct ResponseHeadParser {
    private var status: Int?
    private var fieldLines = ByteBuffer()
    /// Lines in `fieldLines`, counted as they arrive rather than walked again for the count.
    private var fieldLineCount = 0
    private(set) var isComplete = false

    /// Consumes one raw header line (with its line ending).
    /// - Returns: the final head when this line completes it, otherwise `nil`.
    mutating func consume(_ line: UnsafeRawBufferPointer) -> UpstreamResponseHead? {
        guard !self.isComplete else { return nil }
        if line.count <= 2 && line.allSatisfy({ $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }) {
            return self.finishBlock()
        }
        if line.starts(with: "HTTP/".utf8) {
            self.status = Self.statusCode(in: line)
            self.fieldLines.clear()
            self.fieldLineCount = 0
        } else {
            self.fieldLines.writeBytes(line)
            self.fieldLineCount += 1
        }
        return nil
    }

    private mutating func finishBlock() -> UpstreamResponseHead? {
        guard let status = self.status else { return nil }
        if (100..<200).contains(status) && status != 101 {
            // An interim response (100 Continue, 103 Early Hints): the real head follows.
            self.status = nil
            self.fieldLines.clear()
            self.fieldLineCount = 0
            return nil
        }
        self.isComplete = true
        return UpstreamResponseHead(status: status, fieldLines: self.fieldLines, fieldLineCount: self.fieldLineCount)
    }

    private static func statusCode(in line: UnsafeRawBufferPointer) -> Int? {
        guard let space = line.firstIndex(of: UInt8(ascii: " ")), space + 3 < line.count else { return nil }
        var code = 0
        for index in (space + 1)...(space + 3) {
            let digit = Int(line[index]) &- Int(UInt8(ascii: "0"))
            guard (0...9).contains(digit) else { return nil }
            code = code * 10 + digit
        }
        return code >= 100 ? code : nil
    }
}
