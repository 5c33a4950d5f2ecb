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
        let headerTimeout = TimeAmount(configuration.headerTimeout)
        let idleTimeout = TimeAmount(configuration.idleTimeout)
        let maxBodySize = configuration.maxBodySize
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
                let pipeline = channel.pipeline.syncOperations
                try pipeline.addHandler(
                    ConnectionTimeoutHandler(headerTimeout: headerTimeout, idleTimeout: idleTimeout, statistics: statistics))
                // ProxyHandler serves pipelined requests one at a time itself (see ProxyConnectionStateMachine why).
                try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
                try pipeline.addHandler(
                    ProxyHandler(upstream: { client.driver(on: $0) }, maxBodySize: maxBodySize, observer: observer, logger: logger))
            }
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
