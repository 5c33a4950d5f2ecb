/// Whether a tracked value is a model input or one of its outputs.
public enum FeatureRole: String, Sendable, Codable {
    case feature, output
}

/// One feature's or output's drift over a window.
public struct FeatureDrift: Sendable {
    public var name: String
    public var role: FeatureRole
    /// Present values in the window.
    public var samples: Int
    /// Missing values over all values in the window.
    public var missingRatio: Double
    public var verdict: DriftVerdict
    /// Empty when the verdict is `insufficient_data`.
    public var values: [DriftStatistic: Double]

    public init(
        name: String, role: FeatureRole, samples: Int, missingRatio: Double, verdict: DriftVerdict, values: [DriftStatistic: Double]
    ) {
        self.name = name
        self.role = role
        self.samples = samples
        self.missingRatio = missingRatio
        self.verdict = verdict
        self.values = values
    }
}

/// A model's drift over one window.
public struct ModelDriftReport: Sendable {
    public var model: String
    /// The window: minutes starting at or after `start` and before `end`, Unix milliseconds.
    public var start: Int64
    public var end: Int64
    public var entries: [FeatureDrift]

    public init(model: String, start: Int64, end: Int64, entries: [FeatureDrift]) {
        self.model = model
        self.start = start
        self.end = end
        self.entries = entries
    }

    /// The share of features (not outputs) with enough data that drifted; `nil` when none has
    /// enough data.
    public var driftShare: Double? {
        let judged = self.entries.filter { $0.role == .feature && $0.verdict != .insufficientData }
        guard !judged.isEmpty else { return nil }
        return Double(judged.filter { $0.verdict == .drift }.count) / Double(judged.count)
    }
}

/// A payload value that does not fit the baseline's schema.
public struct SchemaViolation: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The feature's tensor is not in the payload.
        case missing
        /// Text where the baseline has numbers, or a binary tensor.
        case wrongType = "wrong_type"
        /// The tensor is there but has no value at the feature's position (or more than one a row).
        case unexpectedShape = "unexpected_shape"
        /// A number beyond the reference range by more than the configured share of that range.
        case outOfRange = "out_of_range"
    }

    public var feature: String
    public var kind: Kind

    public init(feature: String, kind: Kind) {
        self.feature = feature
        self.kind = kind
    }
}
