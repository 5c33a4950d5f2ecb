import Foundation

/// The settings as a JSON document with the configuration's own key names, which the sidecar
/// keeps in its store so `modelwatch drift` judges a file with the settings it was recorded with.
extension DriftSettings: Codable {
    private enum CodingKeys: String, CodingKey {
        case windowMinutes = "window_minutes"
        case method
        case minimumSamples = "min_samples"
        case psiWarn = "psi_warn"
        case thresholds
        case samplePerMinute = "sample_per_minute"
        case maximumFeatures = "max_features"
        case rangeTolerance = "range_tolerance"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = DriftSettings()
        let method = try container.decode(String.self, forKey: .method)
        guard let known = Method(rawValue: method) else {
            throw DecodingError.dataCorruptedError(forKey: .method, in: container, debugDescription: "unknown method \"\(method)\"")
        }
        // Statistics this version does not know are left out rather than refused.
        var alert: [DriftStatistic: Double] = [:]
        for (name, value) in try container.decode([String: Double].self, forKey: .thresholds) {
            if let statistic = DriftStatistic(rawValue: name) { alert[statistic] = value }
        }
        self.init(
            windowMinutes: try container.decode(Int.self, forKey: .windowMinutes),
            samplePerMinute: try container.decodeIfPresent(Int.self, forKey: .samplePerMinute) ?? defaults.samplePerMinute,
            maximumFeatures: try container.decodeIfPresent(Int.self, forKey: .maximumFeatures) ?? defaults.maximumFeatures,
            rangeTolerance: try container.decodeIfPresent(Double.self, forKey: .rangeTolerance) ?? defaults.rangeTolerance,
            thresholds: DriftThresholds(
                psiWarn: try container.decode(Double.self, forKey: .psiWarn), alert: alert,
                minimumSamples: try container.decode(Int.self, forKey: .minimumSamples)),
            method: known)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.windowMinutes, forKey: .windowMinutes)
        try container.encode(self.method.rawValue, forKey: .method)
        try container.encode(self.thresholds.minimumSamples, forKey: .minimumSamples)
        try container.encode(self.thresholds.psiWarn, forKey: .psiWarn)
        try container.encode(
            Dictionary(uniqueKeysWithValues: self.thresholds.alert.map { ($0.key.rawValue, $0.value) }), forKey: .thresholds)
        try container.encode(self.samplePerMinute, forKey: .samplePerMinute)
        try container.encode(self.maximumFeatures, forKey: .maximumFeatures)
        try container.encode(self.rangeTolerance, forKey: .rangeTolerance)
    }

    /// The stored form: sorted keys, so the same settings always give the same bytes.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding numbers and strings into JSON cannot fail; an empty document reads as "none".
        return (try? Array(encoder.encode(self))) ?? []
    }

    /// Reads a stored document.
    /// - Throws: `BaselineError.invalid` naming what is wrong with it.
    public static func decode(_ bytes: [UInt8], source: String) throws(BaselineError) -> DriftSettings {
        do {
            return try JSONDecoder().decode(DriftSettings.self, from: Data(bytes))
        } catch {
            throw BaselineError(.invalid, "\(source): stored drift settings unreadable (\(DecodingProblem.describe(error)))")
        }
    }
}
