/// How the data port accepts and bounds client traffic.
public struct ProxyServerConfiguration: Sendable {
    public var listen: ListenAddress
    /// Largest request body accepted; larger ones are answered 413 without reaching the backend.
    public var maxBodySize: Int
    /// Time from the first byte of a request to the end of its head.
    public var headerTimeout: Duration
    /// Time a keep-alive connection may sit between requests.
    public var idleTimeout: Duration
    /// Time in-flight requests get to finish after SIGTERM or SIGINT.
    public var gracePeriod: Duration
    /// Event-loop threads serving client connections on both ports; `nil` means one per core.
    public var eventLoopThreads: Int?
    /// Client connections open at once; a further one is answered 503 and closed. 0: no limit
    /// but the process's file descriptors.
    public var maxConnections: Int

    public init(
        listen: ListenAddress = ListenAddress(host: "0.0.0.0", port: 8080),
        maxBodySize: Int = 64 << 20,
        headerTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        gracePeriod: Duration = .seconds(30),
        eventLoopThreads: Int? = nil,
        maxConnections: Int = 4096
    ) {
        self.listen = listen
        self.maxBodySize = maxBodySize
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.gracePeriod = gracePeriod
        self.eventLoopThreads = eventLoopThreads
        self.maxConnections = maxConnections
    }
}
