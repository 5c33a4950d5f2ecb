/// Assembles the backend's response head from the lines libcurl hands to its header callback.
///
/// libcurl reports every header block it sees: interim `1xx` heads, the final head and, after a
/// chunked body, trailers. Only the final head is forwarded; trailers are dropped.
struct ResponseHeadParser {
    /// A complete final response head.
    struct Head: Equatable {
        var status: Int
        var headers: [(name: String, value: String)]

        static func == (lhs: Head, rhs: Head) -> Bool {
            lhs.status == rhs.status && lhs.headers.elementsEqual(rhs.headers, by: { $0 == $1 })
        }
    }

    private var status: Int?
    private var headers: [(name: String, value: String)] = []
    private(set) var isComplete = false

    /// Consumes one raw header line (with its line ending).
    /// - Returns: the final head when this line completes it, otherwise `nil`.
    mutating func consume(_ line: UnsafeRawBufferPointer) -> Head? {
        guard !self.isComplete else { return nil }
        var end = line.count
        while end > 0, line[end - 1] == UInt8(ascii: "\n") || line[end - 1] == UInt8(ascii: "\r") {
            end -= 1
        }
        if end == 0 {
            return self.finishBlock()
        }
        let text = UnsafeRawBufferPointer(rebasing: line[0..<end])
        if text.starts(with: "HTTP/".utf8) {
            self.status = Self.statusCode(in: text)
            self.headers.removeAll(keepingCapacity: true)
        } else if text[0] == UInt8(ascii: " ") || text[0] == UInt8(ascii: "\t") {
            // Obsolete line folding (RFC 9112 §5.2): join with the previous value.
            if var last = self.headers.popLast() {
                last.value += " " + Self.trimmed(text)
                self.headers.append(last)
            }
        } else if let colon = text.firstIndex(of: UInt8(ascii: ":")) {
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: text[0..<colon]), as: UTF8.self)
            let value = Self.trimmed(UnsafeRawBufferPointer(rebasing: text[(colon + 1)...]))
            self.headers.append((name, value))
        }
        return nil
    }

    private mutating func finishBlock() -> Head? {
        guard let status = self.status else { return nil }
        if (100..<200).contains(status) && status != 101 {
            // An interim response (100 Continue, 103 Early Hints): the real head follows.
            self.status = nil
            self.headers.removeAll(keepingCapacity: true)
            return nil
        }
        self.isComplete = true
        return Head(status: status, headers: self.headers)
    }

    private static func statusCode(in line: UnsafeRawBufferPointer) -> Int? {
        guard let space = line.firstIndex(of: UInt8(ascii: " ")), space + 3 < line.count + 1 else { return nil }
        var code = 0
        for index in (space + 1)..<min(space + 4, line.count) {
            let digit = Int(line[index]) - Int(UInt8(ascii: "0"))
            guard (0...9).contains(digit) else { return nil }
            code = code * 10 + digit
        }
        return code >= 100 ? code : nil
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> String {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
        while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}
