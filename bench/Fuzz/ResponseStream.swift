import NIOHTTP1

/// What a client reads from the connection, parsed strictly as HTTP/1.1 responses (RFC 9112):
/// a status line, header fields, then a body framed by `Content-Length`, chunked coding, or the
/// connection's close, and none where the method or status allows none. Anything else traps.
struct ResponseStream {
    private let bytes: [UInt8]
    /// The methods of the requests the codec decoded, in order: final answers go to them in turn.
    private var methods: [HTTPMethod]
    /// The sidecar closed the connection itself, so a response may end with it.
    private let closed: Bool
    private var position = 0

    init(_ bytes: [UInt8], methods: [HTTPMethod], closed: Bool) {
        self.bytes = bytes
        self.methods = methods
        self.closed = closed
    }

    consuming func check() {
        while self.position < self.bytes.count {
            self.response()
        }
    }

    private mutating func response() {
        let statusLine = self.line()
        let text = String(decoding: statusLine, as: UTF8.self)
        guard statusLine.count >= 13, text.hasPrefix("HTTP/1.1 ") || text.hasPrefix("HTTP/1.0 "),
            statusLine[9..<12].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), statusLine[12] == 0x20
        else { self.fail("not a status line: \(text.debugDescription)") }
        let status = Int(String(decoding: statusLine[9..<12], as: UTF8.self))!
        var lengths: [String] = []
        var codings: [String] = []
        var closes = false
        while true {
            let field = self.line()
            if field.isEmpty { break }
            guard let colon = field.firstIndex(of: 0x3A), colon > 0, field[..<colon].allSatisfy(Self.isTokenCharacter) else {
                self.fail("not a header field: \(String(decoding: field, as: UTF8.self).debugDescription)")
            }
            if field[(colon + 1)...].contains(where: { $0 == 0 || $0 == 0x0D || $0 == 0x0A }) {
                self.fail("a header value holds NUL, CR or LF")
            }
            let name = String(decoding: field[..<colon], as: UTF8.self).lowercased()
            if name == badFieldName || name.hasPrefix("x scripted") {
                self.fail("a backend's field that cannot be sent on reached the client")
            }
            let value = String(decoding: field[(colon + 1)...], as: UTF8.self).trimmingSpaces().lowercased()
            switch name {
            case "content-length": lengths.append(value)
            case "transfer-encoding": codings.append(value)
            case "connection": closes = closes || value.split(separator: ",").contains { $0.trimmingSpaces() == "close" }
            default: break
            }
        }
        if !codings.isEmpty && !lengths.isEmpty { self.fail("a response with both Transfer-Encoding and Content-Length") }
        if lengths.count > 1 { self.fail("a response with several Content-Length headers") }
        if status < 200 {
            // Interim: no body, and the final answer to the same request follows.
            guard status == 100 else { self.fail("an interim status \(status)") }
            return
        }
        guard !self.methods.isEmpty else {
            // An answer to no decoded request (a refused head, the head's clock running out)
            // ends the connection: it is the last thing written, marked so.
            self.skipBody(method: nil, status: status, lengths: lengths, codings: codings, closes: closes)
            guard closes, self.position == self.bytes.count else { self.fail("an answer to no request that is not the last, closing one") }
            return
        }
        let method = self.methods.removeFirst()
        self.skipBody(method: method, status: status, lengths: lengths, codings: codings, closes: closes)
    }

    private mutating func skipBody(method: HTTPMethod?, status: Int, lengths: [String], codings: [String], closes: Bool) {
        if method == .HEAD || status == 204 || status == 304 {
            return
        }
        if !codings.isEmpty {
            guard codings == ["chunked"] else { self.fail("a response coded \(codings)") }
            self.chunkedBody()
        } else if let length = lengths.first {
            guard let count = Int(length), count >= 0 else { self.fail("Content-Length \(length.debugDescription)") }
            guard self.position + count <= self.bytes.count else {
                // A response cut short, as when the backend fails mid-body, ends with the connection.
                guard self.closed else { self.fail("a body shorter than its Content-Length on an open connection") }
                self.position = self.bytes.count
                return
            }
            self.position += count
        } else {
            guard closes else { self.fail("a body delimited by the close of a connection not marked to close") }
            self.position = self.bytes.count
        }
    }

    /// A chunked body: sizes in hex, data, the last chunk, no trailers (the sidecar sends none).
    private mutating func chunkedBody() {
        while true {
            guard self.position < self.bytes.count else {
                guard self.closed else { self.fail("a chunked body cut short on an open connection") }
                return
            }
            let sizeLine = self.line()
            guard !sizeLine.isEmpty, sizeLine.allSatisfy(\.isHexDigit), sizeLine.count <= 15,
                let size = Int(String(decoding: sizeLine, as: UTF8.self), radix: 16)
            else { self.fail("a chunk size line \(String(decoding: sizeLine, as: UTF8.self).debugDescription)") }
            if size == 0 {
                guard self.line().isEmpty else { self.fail("trailers after the last chunk") }
                return
            }
            guard self.position + size + 2 <= self.bytes.count else {
                guard self.closed else { self.fail("a chunk cut short on an open connection") }
                self.position = self.bytes.count
                return
            }
            self.position += size
            guard self.bytes[self.position] == 0x0D, self.bytes[self.position + 1] == 0x0A else { self.fail("a chunk without its CRLF") }
            self.position += 2
        }
    }

    /// The next line, without its CRLF; a line must end in CRLF, and never in a bare LF.
    private mutating func line() -> [UInt8] {
        guard let end = self.bytes[self.position...].firstIndex(of: 0x0A) else {
            self.fail("a head cut short: \(String(decoding: self.bytes[self.position...], as: UTF8.self).debugDescription)")
        }
        guard end > self.position, self.bytes[end - 1] == 0x0D else { self.fail("a line ending in a bare LF") }
        let line = Array(self.bytes[self.position..<(end - 1)])
        self.position = end + 1
        return line
    }

    /// Traps with the whole stream, so that a crash report shows what the client received.
    private func fail(_ message: String) -> Never {
        violation("\(message), at byte \(self.position) of \(String(decoding: self.bytes, as: UTF8.self).debugDescription)")
    }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}

extension StringProtocol {
    /// Without the spaces and tabs (RFC 9110's OWS) around it.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = self.firstIndex(where: { !isSpace($0) }), let end = self.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
