/// Splits a `text/event-stream` body into events (the WHATWG event-stream format).
///
/// Only `data` fields matter for model servers; each event also carries the byte offset where it
/// ended, so the pipeline can tell when it arrived from the times its chunks came in.
struct ServerSentEvents {
    struct Event: Equatable {
        /// The event's `data` lines joined with newlines.
        var data: String
        /// Offset just past the blank line that ended the event.
        var endOffset: Int
    }

    /// Complete events, in order.
    var events: [Event] = []
    /// Non-blank bytes after the last complete event: the stream stopped mid-event.
    var hasPartialEvent = false

    init(_ body: [UInt8]) {
        var data: [UInt8] = []
        var hasData = false
        var lineStart = 0
        var index = 0
        while index < body.count {
            let byte = body[index]
            guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else {
                index += 1
                continue
            }
            let line = body[lineStart..<index]
            index += 1
            if byte == UInt8(ascii: "\r"), index < body.count, body[index] == UInt8(ascii: "\n") {
                index += 1
            }
            lineStart = index
            if line.isEmpty {
                if hasData {
                    self.events.append(Event(data: String(decoding: data, as: UTF8.self), endOffset: index))
                }
                data.removeAll(keepingCapacity: true)
                hasData = false
            } else if Self.field(line, is: "data") {
                if hasData { data.append(UInt8(ascii: "\n")) }
                var value = line.dropFirst(4)
                if value.first == UInt8(ascii: ":") { value = value.dropFirst() }
                if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
                data.append(contentsOf: value)
                hasData = true
            }
        }
        let rest = body[lineStart...]
        self.hasPartialEvent = hasData || rest.contains { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
    }

    /// Whether `line` is the field `name` (`name` alone or `name:` followed by a value).
    private static func field(_ line: ArraySlice<UInt8>, is name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard line.count >= count else { return false }
        let matches = name.withUTF8Buffer { line.prefix(count).elementsEqual($0) }
        return matches && (line.count == count || line[line.startIndex + count] == UInt8(ascii: ":"))
    }
}
