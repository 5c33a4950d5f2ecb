/// Receives what the data port saw of each exchange, so monitoring can happen somewhere else.
///
/// Every method is called on an event loop, in the middle of proxying: implementations must
/// return at once, never block, never parse a body. The proxy calls `exchangeBegan` once per
/// request head and `exchangeEnded` exactly once per begun exchange, whatever way it ends.
public protocol ExchangeObserver: Sendable {
    /// The most bytes of one body worth keeping; longer bodies are still counted, not kept.
    var captureLimit: Int { get }

    /// A request head arrived.
    /// - Returns: a tag that comes back in the observation (say, which in-flight gauge to lower).
    func exchangeBegan(method: String, target: String) -> Int

    /// Asks to keep `bytes` more body bytes in memory until the observation is analysed.
    /// - Returns: `false` when the analysis side holds too much already; the body is then not kept.
    func reserveCapture(bytes: Int) -> Bool

    /// The exchange is over: hand the observation off, or drop it and count the drop.
    func exchangeEnded(_ observation: ExchangeObservation)
}
