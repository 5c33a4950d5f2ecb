public import ModelWatchProxy

/// Everything `modelwatch serve` needs, as read from `modelwatch.yaml` and the command line.
public struct ModelWatchConfiguration: Sendable {
    public var server: ProxyServerConfiguration
    public var admin: AdminConfiguration
    public var upstream: UpstreamConfiguration
    public var readiness: ReadinessConfiguration

    public init(
        server: ProxyServerConfiguration = ProxyServerConfiguration(),
        admin: AdminConfiguration = AdminConfiguration(),
        upstream: UpstreamConfiguration,
        readiness: ReadinessConfiguration = ReadinessConfiguration()
    ) {
        self.server = server
        self.admin = admin
        self.upstream = upstream
        self.readiness = readiness
    }

    /// One line naming where traffic comes in and goes out.
    public var summary: String {
        "data port \(self.server.listen) -> upstream \(self.upstream.url); admin port \(self.admin.listen)"
    }
}

/// The admin port: health, readiness and (later) metrics; loopback unless said otherwise.
public struct AdminConfiguration: Sendable {
    public var listen: ListenAddress

    public init(listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 9464)) {
        self.listen = listen
    }
}

/// How `/readyz` learns whether the backend is ready.
public struct ReadinessConfiguration: Sendable {
    public var target: ReadinessProbe.Target
    public var interval: Duration
    public var timeout: Duration

    public init(target: ReadinessProbe.Target = .automatic, interval: Duration = .seconds(5), timeout: Duration = .seconds(2)) {
        self.target = target
        self.interval = interval
        self.timeout = timeout
    }
}

/// Command-line values that take precedence over the file.
public struct ConfigurationOverrides: Sendable {
    public var listen: String?
    public var adminListen: String?
    public var upstream: String?

    public init(listen: String? = nil, adminListen: String? = nil, upstream: String? = nil) {
        self.listen = listen
        self.adminListen = adminListen
        self.upstream = upstream
    }
}
