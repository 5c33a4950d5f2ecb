public import ModelWatchProxy

/// Where firing alerts go (the `alerting` section) and what every alert carries (the `global`
/// section's `external_labels` and `external_url`).
public struct AlertingConfiguration: Sendable {
    /// One Alertmanager: `url` plus `/api/v2/alerts`, with its timeout, credentials and CA file.
    public var alertmanagers: [HTTPPostTarget] = []
    /// `alerting.queue_capacity`: alerts each Alertmanager's queue holds before the oldest are dropped.
    public var queueCapacity = 10_000
    /// `alerting.resend_delay`: how often an unchanged firing alert is sent again, milliseconds.
    public var resendDelay: Int64 = 60_000
    /// `global.external_labels`: added to every alert sent (unless the alert sets the label) and
    /// shown to templates as `$externalLabels`.
    public var externalLabels: [String: String] = [:]
    /// `global.external_url`: the sidecar's URL as people reach it, without a trailing slash; in
    /// every alert's `generatorURL` and in templates as `$externalURL`. `nil`: derived at start.
    public var externalURL: String?

    /// No Alertmanager, no external labels.
    public init() {}

    /// The path Alertmanager's v2 API takes alerts on, after the configured URL's own path.
    public static let alertsPath = "/api/v2/alerts"

    /// Prometheus's default for `--web.external-url`: this host's name and the admin port, which
    /// answers the query API the link points into.
    public static func defaultExternalURL(hostName: String, admin: ListenAddress) -> String {
        "http://\(hostName):\(admin.port)"
    }
}
