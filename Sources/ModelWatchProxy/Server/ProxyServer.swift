public import Logging
public import NIOCore
import NIOHTTP1

/// The data port: client traffic in, the backend's answers out, nothing else reachable.
public enum ProxyServer {
    /// Builds the data-port server around an upstream client.
    /// - Parameters:
    ///   - observer: told about every exchange, off nothing but the event loop's own time.
    public static func make(
        configuration: ProxyServerConfiguration,
        client: UpstreamClient,
        observer: (any ExchangeObserver)? = nil,
        group: any EventLoopGroup,
        logger: Logger
    ) -> HTTPServer {
        let statistics = ConnectionStatistics()
        return HTTPServer(
            name: "data",
            address: configuration.listen,
            group: group,
            gracePeriod: configuration.gracePeriod,
            maxConnections: configuration.maxConnections,
            statistics: statistics,
            logger: logger
        ) { channel in
            channel.eventLoop.makeCompletedFuture {
                try Self.configureConnection(
                    channel.pipeline.syncOperations,
                    configuration: configuration,
                    statistics: statistics,
                    upstream: { client.driver(on: $0) },
                    observer: observer,
                    logger: logger
                )
            }
        }
    }

    /// Sets up one accepted connection's pipeline: the connection clock on the raw bytes, NIO's
    /// HTTP/1.1 codec, then the proxy handler. Kept apart so that the fuzz harness drives the
    /// server's own pipeline with a fake backend, not a copy of it.
    /// - Parameters:
    ///   - upstream: where connections on a loop start their exchanges with the backend.
    static func configureConnection<Upstream: UpstreamExchangeStarter>(
        _ pipeline: ChannelPipeline.SynchronousOperations,
        configuration: ProxyServerConfiguration,
        statistics: ConnectionStatistics,
        upstream: @escaping (any EventLoop) -> Upstream,
        observer: (any ExchangeObserver)?,
        logger: Logger
    ) throws {
        let clock = ConnectionTimeoutHandler(
            headerTimeout: TimeAmount(configuration.headerTimeout),
            idleTimeout: TimeAmount(configuration.idleTimeout),
            statistics: statistics
        )
        try pipeline.addHandler(clock)
        // ProxyHandler serves pipelined requests one at a time itself (see ProxyConnectionStateMachine why).
        // No outbound header validator: the only headers not the sidecar's own are the backend's,
        // which `HeaderPolicy.clientResponseHeaders` checks as it builds them (a 502 otherwise).
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false)
        try pipeline.addHandler(
            ProxyHandler(upstream: upstream, maxBodySize: configuration.maxBodySize, observer: observer, clock: clock, logger: logger))
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
