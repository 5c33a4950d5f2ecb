public import ModelWatchAlerting

/// The `rules` section: Prometheus rule files the sidecar evaluates against its own store.
public struct RulesConfiguration: Sendable {
    /// `rules.files` as written: paths and globs, relative to the configuration file's directory.
    public var patterns: [String] = []
    /// `rules.evaluation_interval`: for groups without their own `interval`, milliseconds.
    public var evaluationInterval: Int64 = 60_000
    /// The groups of every matched file, checked at load.
    public var groups: [RuleGroup] = []

    /// No rules.
    public init() {}
}
