import NIOCore
import NIOHTTP1

@testable import ModelWatchProxy

/// A backend behind `ProxyHandler`'s upstream seam that behaves as its `BackendScript` says, and
/// checks what it is sent: each request against its decoded head, each body against its length.
final class ScriptedBackend: UpstreamExchangeStarter, @unchecked Sendable {
    // @unchecked Sendable: used only on the embedded loop, the fuzzer's own thread.
    let script: BackendScript
    let heads: DecodedHeads
    private var exchanges: [ScriptedExchange] = []
    /// Exchanges made so far, numbering their heads for `BackendScript.badFields`.
    private var made = 0

    init(script: BackendScript, heads: DecodedHeads) {
        self.script = script
        self.heads = heads
    }

    func makeExchange(
        _ request: UpstreamRequest, deliver: @escaping @Sendable (ScriptedExchange, [UpstreamEvent]) -> Void
    ) -> ScriptedExchange {
        let head = self.heads.forwarded(request)
        var declared: Int?
        if let length = head.headers.first(name: "content-length") {
            declared = Int(length.trimmingSpaces())
        }
        let index = self.made
        self.made += 1
        return ScriptedExchange(
            request: request, declaredLength: declared, script: self.script, badField: Self.badField(index, of: self.script),
            deliver: deliver)
    }

    func start(_ exchange: ScriptedExchange) {
        self.exchanges.append(exchange)
        if case .whole(let body) = exchange.request.body {
            exchange.received(body.readableBytes)
        }
        // A backend that answers at once answers from inside `start`, as libcurl may.
        if !self.script.late, self.script.mode == .answer || self.script.mode == .fail {
            exchange.step()
        }
    }

    /// The field line that cannot be sent on, for the `index`-th head, if the script gives it one.
    static func badField(_ index: Int, of script: BackendScript) -> String? {
        guard script.badFields & (1 << (index % 5)) != 0 else { return nil }
        switch script.badFields >> 5 {
        case 0, 1: return "\(badFieldName): a\rb\r\n"
        case 2, 3: return "\(badFieldName): a\u{01}b\r\n"
        case 4, 5: return "\(badFieldName): a\u{7F}\r\n"
        default: return "x scripted bad: 1\r\n"
        }
    }

    /// One step of every exchange still running.
    func step() {
        for exchange in self.exchanges { exchange.step() }
    }

    /// Ends every exchange still running, as the backend's end or timeout would.
    func finish() {
        for exchange in self.exchanges { exchange.finish() }
    }

    /// Lets go of every exchange, as libcurl's driver does once a transfer is over, and checks
    /// that nothing else holds one: each holds its connection's handler (through `deliver`), so an
    /// exchange the closed connection kept would be a cycle, leaking both, per request.
    func releaseExchanges() {
        let released = self.exchanges.map { Released(exchange: $0) }
        self.exchanges.removeAll()
        if released.contains(where: { $0.exchange != nil }) {
            violation("an exchange outlived its closed connection: the handler and the exchange hold each other")
        }
    }

    private struct Released {
        weak var exchange: ScriptedExchange?
    }
}

/// The name of the field a scripted head carries when it cannot be sent on: the client must never see it.
let badFieldName = "x-scripted-bad"

final class ScriptedExchange: UpstreamExchange, @unchecked Sendable {
    // @unchecked Sendable: as ScriptedBackend.
    let request: UpstreamRequest
    private let declaredLength: Int?
    private let script: BackendScript
    private let deliver: @Sendable (ScriptedExchange, [UpstreamEvent]) -> Void
    /// A field line its head carries that cannot be sent on, if any.
    private let badField: String?
    private var bodyBytes = 0
    private var bodyEnded = false
    private var cancelled = false
    private var drainOwed = false
    private var headSent = false
    private var bodyPartsSent = 0
    private var done = false

    init(
        request: UpstreamRequest, declaredLength: Int?, script: BackendScript, badField: String?,
        deliver: @escaping @Sendable (ScriptedExchange, [UpstreamEvent]) -> Void
    ) {
        self.request = request
        self.declaredLength = declaredLength
        self.script = script
        self.badField = badField
        self.deliver = deliver
    }

    func sendBody(_ buffer: ByteBuffer) -> Bool {
        if self.cancelled { violation("body bytes sent to a cancelled exchange") }
        if self.bodyEnded { violation("body bytes sent after the body's end") }
        self.received(buffer.readableBytes)
        if self.script.fullUploads {
            self.drainOwed = true
        }
        return self.script.fullUploads
    }

    func finishBody() {
        if self.bodyEnded { violation("the body ended twice") }
        self.bodyEnded = true
    }

    func acknowledge(bytes count: Int) {}

    func cancel() {
        self.cancelled = true
    }

    func received(_ count: Int) {
        self.bodyBytes += count
        if let declared = self.declaredLength, self.bodyBytes > declared {
            violation("the backend received \(self.bodyBytes) body bytes of a request that declared \(declared)")
        }
    }

    /// Moves on as the script says; events go to the connection in one batch, as the driver hands them over.
    func step() {
        guard !self.cancelled, !self.done else { return }
        var events: [UpstreamEvent] = []
        if self.drainOwed {
            self.drainOwed = false
            events.append(.requestBodyDrained)
        }
        switch self.script.mode {
        case .answer where !self.script.late || self.bodyEnded:
            events += self.head() + self.body() + [.end(UpstreamTimings(firstByte: .zero, total: .zero))]
            self.done = true
        case .fail where !self.script.late || self.bodyEnded:
            events.append(.failure(UpstreamFailure(kind: self.script.failureKind, detail: "scripted")))
            self.done = true
        case .stream:
            if !self.headSent {
                events += self.head()
            } else if self.bodyPartsSent < 3 {
                events += self.body()
                self.bodyPartsSent += 1
            }
        case .answer, .fail, .hang:
            break
        }
        if !events.isEmpty {
            self.deliver(self, events)
        }
    }

    func finish() {
        self.step()
        guard !self.cancelled, !self.done else { return }
        self.done = true
        switch self.script.mode {
        case .stream where !self.script.late:
            self.deliver(self, [.end(UpstreamTimings(firstByte: .zero, total: .zero))])
        case .stream:
            self.deliver(self, [.failure(UpstreamFailure(kind: .reset, detail: "scripted reset mid-stream"))])
        default:
            self.deliver(self, [.failure(UpstreamFailure(kind: .timeout, detail: "scripted timeout"))])
        }
    }

    /// A body only where HTTP allows one and libcurl would deliver one.
    private var hasBody: Bool {
        self.request.method != "HEAD" && self.script.status != 204 && self.script.status != 304
    }

    private func head() -> [UpstreamEvent] {
        self.headSent = true
        var lines = ["HTTP/1.1 \(self.script.status) Scripted\r\n", "content-type: application/json\r\n"]
        if let badField = self.badField {
            lines.append(badField)
        }
        if self.hasBody {
            // A stream's length is unknown; an answer's is declared or its body chunked.
            if self.script.mode == .answer && self.script.declaresLength {
                lines.append("content-length: 2\r\n")
            } else {
                lines.append("transfer-encoding: chunked\r\n")
            }
        }
        lines.append("\r\n")
        var parser = ResponseHeadParser()
        var parsed: UpstreamResponseHead?
        for line in lines {
            parsed = Array(line.utf8).withUnsafeBytes { parser.consume($0) } ?? parsed
        }
        guard let parsed else { violation("the scripted head did not parse") }
        return [.head(parsed)]
    }

    private func body() -> [UpstreamEvent] {
        self.hasBody ? [.body(ByteBuffer(string: "{}"))] : []
    }
}
