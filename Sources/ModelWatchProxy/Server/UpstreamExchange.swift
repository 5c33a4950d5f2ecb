import NIOCore

/// One exchange with the backend as a client connection drives it: body bytes in, flow control
/// acknowledged, abandoned when the client goes. `UpstreamTransfer` is the real one; the seam lets
/// `ProxyHandler` be tested on an `EmbeddedChannel` with a fake backend.
protocol UpstreamExchange: AnyObject, Sendable {
    /// Queues request body bytes for the backend.
    /// - Returns: `true` when the caller should stop reading from its client until
    ///   `.requestBodyDrained` arrives.
    func sendBody(_ buffer: ByteBuffer) -> Bool
    /// Marks the end of the request body.
    func finishBody()
    /// Tells the exchange that the client has taken `count` response bytes.
    func acknowledge(bytes count: Int)
    /// Abandons the exchange: no further events are delivered.
    func cancel()
}

/// Where one event loop's connections start their exchanges with the backend.
///
/// Making and starting are two steps because a backend that refuses at once answers from inside
/// `start`: the connection must know its exchange before the first event arrives.
protocol UpstreamExchangeStarter: Sendable {
    associatedtype Exchange: UpstreamExchange

    /// An exchange for `request` whose events come through `deliver`, in order, on this loop.
    func makeExchange(_ request: UpstreamRequest, deliver: @escaping @Sendable (Exchange, [UpstreamEvent]) -> Void) -> Exchange
    /// Starts it; events may be delivered before this returns.
    func start(_ exchange: Exchange)
}

extension UpstreamTransfer: UpstreamExchange {}

extension UpstreamLoopDriver: UpstreamExchangeStarter {
    func makeExchange(
        _ request: UpstreamRequest, deliver: @escaping @Sendable (UpstreamTransfer, [UpstreamEvent]) -> Void
    ) -> UpstreamTransfer {
        UpstreamTransfer(request: request, driver: self, deliver: deliver)
    }

    func start(_ exchange: UpstreamTransfer) {
        self.start(exchange, timeout: nil)
    }
}
