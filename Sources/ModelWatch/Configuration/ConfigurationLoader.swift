import Foundation
import ModelWatchDrift
import ModelWatchProxy
import ModelWatchStore
import Yams

/// Reads `modelwatch.yaml`, applies command-line overrides and checks every value, so that a bad
/// file stops the sidecar at start with the file, line and key rather than misbehaving later.
public enum ConfigurationLoader {
    /// Loads a configuration.
    /// - Parameters:
    ///   - path: the YAML file, or `nil` to start from the defaults.
    ///   - contents: the file's text, when already read (tests); read from `path` otherwise.
    ///   - overrides: command-line values that win over the file.
    /// - Throws: `ConfigurationError` naming the file, line and key of the first bad value.
    public static func load(
        path: String?,
        contents: String? = nil,
        overrides: ConfigurationOverrides = ConfigurationOverrides()
    ) throws(ConfigurationError) -> ModelWatchConfiguration {
        var draft = Draft()
        if let path {
            let text: String
            if let contents {
                text = contents
            } else {
                do {
                    text = try LocalFile.text(path)
                } catch {
                    throw ConfigurationError(source: path, line: nil, key: nil, message: "cannot read the file: \(error.reason)")
                }
            }
            try DocumentReader(source: path).read(text, into: &draft)
        }
        try draft.apply(overrides)
        guard let url = draft.upstreamURL else {
            throw ConfigurationError(
                source: path ?? "command line",
                line: nil,
                key: "upstream.url",
                message: "no upstream given: set upstream.url in the file or pass --upstream"
            )
        }
        draft.upstream.url = url
        let configuration = ModelWatchConfiguration(
            server: draft.server,
            admin: draft.admin,
            upstream: draft.upstream,
            readiness: draft.readiness,
            analysis: draft.analysis,
            models: draft.models,
            storage: draft.storage,
            drift: draft.drift,
            query: draft.query,
            rules: draft.rules,
            shadow: draft.shadow,
            alerting: draft.alerting
        )
        try ConfigurationChecks.check(configuration, origins: draft.origins)
        return configuration
    }
}

/// The configuration while it is being assembled; the upstream URL has no default.
struct Draft {
    var server = ProxyServerConfiguration()
    var admin = AdminConfiguration()
    var upstreamURL: UpstreamURL?
    var upstream = UpstreamConfiguration(url: UpstreamURL(scheme: "http", host: "127.0.0.1", port: 80, pathPrefix: ""))
    var readiness = ReadinessConfiguration()
    var analysis = AnalysisConfiguration()
    var models = ModelsConfiguration()
    var storage = StorageConfiguration()
    var drift = DriftConfiguration()
    var query = QueryConfiguration()
    var rules = RulesConfiguration()
    var shadow = ShadowConfiguration()
    var alerting = AlertingConfiguration()
    /// Where the values that `ConfigurationChecks` may refuse came from.
    var origins: [String: ConfigurationOrigin] = [:]

    mutating func apply(_ overrides: ConfigurationOverrides) throws(ConfigurationError) {
        if let listen = overrides.listen {
            self.server.listen = try Self.parse("--listen", listen) { text throws(ListenAddress.ParseError) in
                try ListenAddress(parsing: text)
            }
            self.origins["server.listen"] = ConfigurationOrigin(source: "--listen", line: nil)
        }
        if let adminListen = overrides.adminListen {
            self.admin.listen = try Self.parse("--admin-listen", adminListen) { text throws(ListenAddress.ParseError) in
                try ListenAddress(parsing: text)
            }
            self.origins["admin.listen"] = ConfigurationOrigin(source: "--admin-listen", line: nil)
        }
        if let storagePath = overrides.storagePath {
            guard !storagePath.isEmpty else {
                throw ConfigurationError(source: "--storage-path", line: nil, key: nil, message: "empty path")
            }
            // A flag's path is relative to the working directory, where it was typed.
            self.storage.path = storagePath
            self.origins["storage.path"] = ConfigurationOrigin(source: "--storage-path", line: nil)
        }
        if let upstream = overrides.upstream {
            self.upstreamURL = try Self.parse("--upstream", upstream) { text throws(UpstreamURL.ParseError) in
                try UpstreamURL(parsing: text)
            }
        }
    }

    private static func parse<Value, Failure: Error & CustomStringConvertible>(
        _ flag: String,
        _ text: String,
        _ parser: (String) throws(Failure) -> Value
    ) throws(ConfigurationError) -> Value {
        do {
            return try parser(text)
        } catch {
            throw ConfigurationError(source: flag, line: nil, key: nil, message: error.description)
        }
    }
}

/// Walks the YAML tree, one documented key at a time.
struct DocumentReader {
    let source: String

    func read(_ text: String, into draft: inout Draft) throws(ConfigurationError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigurationError(source: self.source, line: Self.line(of: error), key: nil, message: "not valid YAML: \(error)")
        } catch {
            throw ConfigurationError(source: self.source, line: nil, key: nil, message: "not valid YAML: \(error)")
        }
        guard let root else { return }  // an empty file means "all defaults"
        for (key, value) in try self.entries(of: root, section: nil) {
            switch key.name {
            case "server":
                for (field, node) in try self.entries(of: value, section: "server") {
                    try self.readServer(field, node, into: &draft.server)
                    draft.origins["server." + field.name] = self.origin(node)
                }
            case "admin":
                for (field, node) in try self.entries(of: value, section: "admin") {
                    switch field.name {
                    case "listen":
                        draft.admin.listen = try self.listenAddress(node, key: "admin.listen")
                        draft.origins["admin.listen"] = self.origin(node)
                    default: throw self.unknownKey(field, section: "admin")
                    }
                }
            case "upstream":
                for (field, node) in try self.entries(of: value, section: "upstream") {
                    try self.readUpstream(field, node, into: &draft)
                    draft.origins["upstream." + field.name] = self.origin(node)
                }
            case "analysis":
                for (field, node) in try self.entries(of: value, section: "analysis") {
                    try self.readAnalysis(field, node, into: &draft.analysis)
                }
            case "models":
                for (field, node) in try self.entries(of: value, section: "models") {
                    try self.readModels(field, node, into: &draft.models)
                }
            case "storage":
                for (field, node) in try self.entries(of: value, section: "storage") {
                    try self.readStorage(field, node, into: &draft.storage)
                    draft.origins["storage." + field.name] = self.origin(node)
                }
                try self.checkStorage(draft.storage, value)
            case "drift":
                try self.readDrift(value, into: &draft.drift)
            case "query":
                for (field, node) in try self.entries(of: value, section: "query") {
                    let key = "query." + field.name
                    switch field.name {
                    case "timeout": draft.query.timeout = try self.duration(node, key: key, allowZero: false)
                    case "max_samples": draft.query.maxSamples = try self.integer(node, key: key, range: 1...1_000_000_000)
                    case "max_concurrency": draft.query.maxConcurrency = try self.integer(node, key: key, range: 1...64)
                    case "max_queued": draft.query.maxQueued = try self.integer(node, key: key, range: 0...10_000)
                    default: throw self.unknownKey(field, section: "query")
                    }
                }
            case "rules":
                try self.readRules(value, into: &draft)
            case "shadow":
                try self.readShadow(value, into: &draft.shadow)
                draft.origins["shadow.models"] = self.origin(value)
            case "global":
                try self.readGlobal(value, into: &draft.alerting)
            case "alerting":
                try self.readAlerting(value, into: &draft.alerting)
            default:
                throw self.unknownKey(key, section: nil)
            }
        }
    }

    private func readAnalysis(_ field: Key, _ node: Node, into analysis: inout AnalysisConfiguration) throws(ConfigurationError) {
        let key = "analysis." + field.name
        switch field.name {
        case "enabled": analysis.enabled = try self.boolean(node, key: key)
        case "queue_capacity": analysis.queueCapacity = try self.integer(node, key: key, range: 1...1_000_000)
        case "max_payload_size": analysis.maxPayloadSize = try self.byteSize(node, key: key)
        case "memory_limit": analysis.memoryLimit = try self.byteSize(node, key: key)
        default: throw self.unknownKey(field, section: "analysis")
        }
    }

    private func readStorage(_ field: Key, _ node: Node, into storage: inout StorageConfiguration) throws(ConfigurationError) {
        let key = "storage." + field.name
        switch field.name {
        case "enabled": storage.enabled = try self.boolean(node, key: key)
        case "path":
            let path = try self.string(node, key: key)
            guard !path.isEmpty else { throw self.error(node, key: key, "expected a file path") }
            storage.path = self.resolve(path)
        case "scrape_interval": storage.scrapeInterval = try self.duration(node, key: key, allowZero: false)
        case "retention": storage.store.retention = try self.duration(node, key: key, allowZero: false)
        case "chunk_span": storage.store.chunkSpan = try self.duration(node, key: key, allowZero: false)
        case "downsample_resolution":
            let resolution = try self.duration(node, key: key, allowZero: false)
            storage.store.downsampling = .init(
                resolution: resolution, retention: storage.store.downsampling?.retention ?? .seconds(90 * 86_400))
        case "downsample_retention":
            let retention = try self.duration(node, key: key, allowZero: false)
            storage.store.downsampling = .init(resolution: storage.store.downsampling?.resolution ?? .seconds(300), retention: retention)
        default: throw self.unknownKey(field, section: "storage")
        }
    }

    /// Values that are each fine but do not fit together.
    private func checkStorage(_ storage: StorageConfiguration, _ node: Node) throws(ConfigurationError) {
        if storage.scrapeInterval < .milliseconds(100) {
            throw self.error(node, key: "storage.scrape_interval", "must be at least 100ms")
        }
        if let downsampling = storage.store.downsampling, downsampling.retention <= storage.store.retention {
            throw self.error(node, key: "storage.downsample_retention", "must be longer than storage.retention to keep anything")
        }
    }

    private func readModels(_ field: Key, _ node: Node, into models: inout ModelsConfiguration) throws(ConfigurationError) {
        let key = "models." + field.name
        switch field.name {
        case "default": models.defaultModel = try self.string(node, key: key)
        case "names":
            guard case .sequence(let items) = node else { throw self.error(node, key: key, "expected a list of model names") }
            var names: [String] = []
            for item in items { names.append(try self.string(item, key: key)) }
            models.names = names
        case "max_models": models.maxModels = try self.integer(node, key: key, range: 0...10_000)
        case "max_versions": models.maxVersions = try self.integer(node, key: key, range: 0...1_000)
        default: throw self.unknownKey(field, section: "models")
        }
    }

    private func readServer(_ field: Key, _ node: Node, into server: inout ProxyServerConfiguration) throws(ConfigurationError) {
        let key = "server." + field.name
        switch field.name {
        case "listen": server.listen = try self.listenAddress(node, key: key)
        case "max_body_size": server.maxBodySize = try self.byteSize(node, key: key)
        case "header_timeout": server.headerTimeout = try self.duration(node, key: key, allowZero: false)
        case "idle_timeout": server.idleTimeout = try self.duration(node, key: key, allowZero: false)
        case "grace_period": server.gracePeriod = try self.duration(node, key: key, allowZero: true)
        case "event_loop_threads": server.eventLoopThreads = try self.integer(node, key: key, range: 1...256)
        case "max_connections": server.maxConnections = try self.integer(node, key: key, range: 0...1_000_000)
        default: throw self.unknownKey(field, section: "server")
        }
    }

    private func readUpstream(_ field: Key, _ node: Node, into draft: inout Draft) throws(ConfigurationError) {
        let key = "upstream." + field.name
        switch field.name {
        case "url":
            let text = try self.string(node, key: key)
            do {
                draft.upstreamURL = try UpstreamURL(parsing: text)
            } catch {
                throw self.error(node, key: key, error.description)
            }
        case "connect_timeout":
            draft.upstream.connectTimeout = try self.duration(node, key: key, allowZero: false)
        case "timeout":
            // 0 switches the total timeout off, for very long streamed generations.
            let timeout = try self.duration(node, key: key, allowZero: true)
            draft.upstream.timeout = timeout == .zero ? nil : timeout
        case "max_connections":
            draft.upstream.maxConnections = try self.integer(node, key: key, range: 1...65536)
        case "pool_timeout":
            draft.upstream.poolTimeout = try self.duration(node, key: key, allowZero: false)
        case "ca_file":
            let path = try self.string(node, key: key)
            guard !path.isEmpty else { throw self.error(node, key: key, "expected a file path") }
            draft.upstream.caFile = self.resolve(path)
        case "readiness_path":
            let path = try self.string(node, key: key)
            if path == "auto" {
                draft.readiness.target = .automatic
            } else if path.hasPrefix("/") {
                draft.readiness.target = .path(path)
            } else {
                throw self.error(node, key: key, "expected \"auto\" or a path starting with /, got \"\(path)\"")
            }
        case "readiness_interval":
            draft.readiness.interval = try self.duration(node, key: key, allowZero: false)
        case "readiness_timeout":
            draft.readiness.timeout = try self.duration(node, key: key, allowZero: false)
        default:
            throw self.unknownKey(field, section: "upstream")
        }
    }

    // MARK: Values

    struct Key {
        let name: String
        let line: Int?
    }

    func entries(of node: Node, section: String?) throws(ConfigurationError) -> [(Key, Node)] {
        guard case .mapping(let mapping) = node else {
            throw self.error(node, key: section, "expected a mapping of keys to values")
        }
        var result: [(Key, Node)] = []
        var seen: Set<String> = []
        for (keyNode, value) in mapping {
            guard let name = keyNode.scalar?.string else {
                throw self.error(keyNode, key: section, "keys must be plain names")
            }
            let dotted = section.map { "\($0).\(name)" } ?? name
            guard seen.insert(name).inserted else {
                throw self.error(keyNode, key: dotted, "this key appears twice")
            }
            result.append((Key(name: name, line: keyNode.mark?.line), value))
        }
        return result
    }

    func string(_ node: Node, key: String) throws(ConfigurationError) -> String {
        guard let scalar = node.scalar else {
            throw self.error(node, key: key, "expected a single value")
        }
        return scalar.string
    }

    func boolean(_ node: Node, key: String) throws(ConfigurationError) -> Bool {
        let text = try self.string(node, key: key)
        switch text {
        case "true": return true
        case "false": return false
        default: throw self.error(node, key: key, "expected true or false, got \"\(text)\"")
        }
    }

    func integer(_ node: Node, key: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let text = try self.string(node, key: key)
        guard let value = Int(text), range.contains(value) else {
            throw self.error(node, key: key, "expected a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    func duration(_ node: Node, key: String, allowZero: Bool) throws(ConfigurationError) -> Duration {
        let text = try self.string(node, key: key)
        if allowZero, text == "0" {
            return .zero
        }
        guard let value = ValueSyntax.duration(text), allowZero || value > .zero else {
            throw self.error(
                node, key: key, "expected a\(allowZero ? "" : " positive") duration such as 500ms, 5s, 2m or 1h, got \"\(text)\"")
        }
        return value
    }

    private func byteSize(_ node: Node, key: String) throws(ConfigurationError) -> Int {
        let text = try self.string(node, key: key)
        guard let value = ValueSyntax.byteSize(text), value > 0 else {
            throw self.error(node, key: key, "expected a size such as 1048576, 512KiB, 64MiB or 1GiB, got \"\(text)\"")
        }
        return value
    }

    private func listenAddress(_ node: Node, key: String) throws(ConfigurationError) -> ListenAddress {
        let text = try self.string(node, key: key)
        do {
            return try ListenAddress(parsing: text)
        } catch {
            throw self.error(node, key: key, error.description)
        }
    }

    /// A path written in this file, relative to the file's directory.
    func resolve(_ path: String) -> String {
        ConfigurationChecks.resolve(path, against: self.source)
    }

    func origin(_ node: Node) -> ConfigurationOrigin {
        ConfigurationOrigin(source: self.source, line: node.mark?.line)
    }

    func error(_ node: Node, key: String?, _ message: String) -> ConfigurationError {
        ConfigurationError(source: self.source, line: node.mark?.line, key: key, message: message)
    }

    func unknownKey(_ key: Key, section: String?) -> ConfigurationError {
        let known: String
        switch section {
        case nil: known = "server, admin, upstream, analysis, models, storage, drift, query, rules, shadow, global, alerting"
        case "query": known = "timeout, max_samples, max_concurrency, max_queued"
        case "drift":
            known = "enabled, window, min_samples, method, sample_per_minute, max_features, range_tolerance, thresholds, models"
        case "drift.thresholds": known = "psi_warn, " + DriftStatistic.allCases.map(\.rawValue).joined(separator: ", ")
        case .some(let model) where model.hasPrefix("drift.models."): known = "baseline, features, outputs"
        case "shadow": known = "models"
        case .some(let model) where model.hasPrefix("shadow.models."): known = ShadowConfigurationKeys.describe(model)
        case "storage":
            known = "enabled, path, scrape_interval, retention, chunk_span, downsample_resolution, downsample_retention"
        case "analysis": known = "enabled, queue_capacity, max_payload_size, memory_limit"
        case "models": known = "default, names, max_models, max_versions"
        case "server": known = "listen, max_body_size, header_timeout, idle_timeout, grace_period, event_loop_threads, max_connections"
        case "admin": known = "listen"
        case "rules": known = "files, evaluation_interval"
        case "global": known = "external_labels, external_url"
        case "alerting": known = "alertmanagers, queue_capacity, resend_delay"
        case "alerting.alertmanagers": known = "url, timeout, basic_auth, bearer_token, bearer_token_file, ca_file"
        case "alerting.alertmanagers.basic_auth": known = "username, password, password_file"
        default:
            known =
                "url, connect_timeout, timeout, max_connections, pool_timeout, ca_file, readiness_path, readiness_interval, readiness_timeout"
        }
        let dotted = section.map { "\($0).\(key.name)" } ?? key.name
        return ConfigurationError(source: self.source, line: key.line, key: dotted, message: "unknown key (expected one of: \(known))")
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }
}
