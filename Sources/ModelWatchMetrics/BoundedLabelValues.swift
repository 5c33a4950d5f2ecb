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
        /// Per model, the version that last answered a request whose path named none.
        var answeringVersions: [String: String] = [:]
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
        return self.state.withLock { state in Self.admit(version, of: model, into: &state, limit: self.maxVersions) }
    }

    /// The label value for the version that served an exchange on a route whose path names no
    /// version, where only the answer tells the version (`model_version`). An answer that names
    /// none (a 4xx or 5xx, a dead backend) is counted under the version that last answered such a
    /// route for the model, so a model's errors and successes share one series and its error
    /// ratio is not split into a `version=""` series of its own; "" until any answer named one.
    public func unversionedRouteVersion(answered version: String?, of model: String) -> String {
        if let version, !version.isEmpty {
            guard Self.isAcceptable(version), model != Self.overflow else { return Self.overflow }
            return self.state.withLock { state in
                // The version that answered last nearly always answers again. Its label is then the
                // version itself, and admission never takes a version back, so nothing would change.
                if state.answeringVersions[model] == version { return version }
                let label = Self.admit(version, of: model, into: &state, limit: self.maxVersions)
                state.answeringVersions[model] = label
                return label
            }
        }
        return self.state.withLock { state in state.answeringVersions[model] ?? "" }
    }

    private static func admit(_ version: String, of model: String, into state: inout State, limit: Int) -> String {
        var versions = state.versions[model, default: []]
        if versions.contains(version) { return version }
        guard versions.count < limit else { return Self.overflow }
        versions.insert(version)
        state.versions[model] = versions
        return version
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
