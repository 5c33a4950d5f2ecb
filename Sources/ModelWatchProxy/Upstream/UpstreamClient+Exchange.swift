import NIOConcurrencyHelpers
import NIOCore

/// A whole, buffered answer from the backend: for requests the sidecar makes itself (a shadow
/// copy of a request), never for the proxied traffic, which is streamed.
public struct UpstreamReply: Sendable {
    public var status: Int
    public var contentType: String?
    public var headerLength: Int?
    public var body: [UInt8]
}

extension UpstreamClient {
    /// Sends one request with a body already in memory and buffers the whole answer.
    ///
    /// `completion` runs once, on an event loop: keep it short (hand the reply over).
    /// - Parameters:
    ///   - maxBodyBytes: an answer longer than this fails the exchange (`protocol`) instead of
    ///     growing memory without bound.
    public func exchange(
        method: String, target: String, headers: [(name: String, value: String)], body: [UInt8], timeout: Duration, maxBodyBytes: Int,
        completion: @escaping @Sendable (Result<UpstreamReply, UpstreamFailure>) -> Void
    ) {
        let request = UpstreamRequest(method: method, target: target, headers: headers, body: .whole(ByteBuffer(bytes: body)))
        let reply = NIOLockedValueBox<(head: UpstreamResponseHead?, body: [UInt8], done: Bool)>((nil, [], false))
        _ = self.startTransfer(on: self.group.any(), request, timeout: timeout) { transfer, events in
            for event in events {
                let outcome: Result<UpstreamReply, UpstreamFailure>? = reply.withLockedValue { state in
                    guard !state.done else { return nil }
                    switch event {
                    case .head(let head):
                        state.head = head
                    case .body(let bytes):
                        transfer.acknowledge(bytes: bytes.readableBytes)
                        guard state.body.count + bytes.readableBytes <= maxBodyBytes else {
                            state.done = true
                            transfer.cancel()
                            return .failure(UpstreamFailure(kind: .protocol, detail: "the answer is longer than \(maxBodyBytes) bytes"))
                        }
                        state.body.append(contentsOf: bytes.readableBytesView)
                    case .requestBodyDrained:
                        break
                    case .end:
                        state.done = true
                        guard let head = state.head else {
                            return .failure(UpstreamFailure(kind: .protocol, detail: "the transfer ended without a response head"))
                        }
                        let fields = head.values(of: "content-type", "inference-header-content-length")
                        return .success(
                            UpstreamReply(
                                status: head.status, contentType: fields.first, headerLength: fields.second.flatMap { Int($0) },
                                body: state.body))
                    case .failure(let failure):
                        state.done = true
                        return .failure(failure)
                    }
                    return nil
                }
                if let outcome { completion(outcome) }
            }
        }
    }
}
