import Synchronization

/// Keeps model and version label values to a bounded set, so no client can grow the number of
/// series without limit by inventing model names.
///
/// Models listed in configuration are always kept; beyond them, the first `maxModels` names seen
/// are, and every later one becomes `other`. Versions work the same way per model.
public final class BoundedLabelValues: Sendable {
    /// The label value that stands for everything over the limit.
    public static let overflow = "other"
    /// The longest name kept as a label value; longer ones are `other` too.
    static let maxLength = 128

    private struct State {
        var models: Set<String>
        var seenModels = 0
        var versions: [String: Set<String>] = [:]
    }

    private let maxModels: Int
    private let maxVersions: Int
    private let state: Mutex<State>

    public init(knownModels: [String] = [], maxModels: Int = 32, maxVersions: Int = 8) {
        self.maxModels = maxModels
        self.maxVersions = maxVersions
        self.state = Mutex(State(models: Set(knownModels)))
    }

    /// The label value for a model name.
    public func model(_ name: String) -> String {
        guard Self.isAcceptable(name) else { return Self.overflow }
        return self.state.withLock { state in
            if state.models.contains(name) { return name }
            guard state.seenModels < self.maxModels else { return Self.overflow }
            state.seenModels += 1
            state.models.insert(name)
            return name
        }
    }

    /// The label value for a version of a model already passed through `model(_:)`.
    public func version(_ version: String, of model: String) -> String {
        guard !version.isEmpty else { return "" }
        guard Self.isAcceptable(version), model != Self.overflow else { return Self.overflow }
        return self.state.withLock { state in
            var versions = state.versions[model, default: []]
            if versions.contains(version) { return version }
            guard versions.count < self.maxVersions else { return Self.overflow }
            versions.insert(version)
            state.versions[model] = versions
            return version
        }
    }

    /// Short enough and free of control characters. Runs for every request on the proxy path, so
    /// ASCII names (nearly all) are checked byte by byte without Unicode property lookups.
    private static func isAcceptable(_ value: String) -> Bool {
        guard value.utf8.count <= Self.maxLength else { return false }
        if value.utf8.allSatisfy({ $0 < 0x80 }) {
            return !value.utf8.contains { $0 < 0x20 || $0 == 0x7F }
        }
        return !value.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
