/// A drift statistic, named as it appears in the `statistic` label and the CLI.
public enum DriftStatistic: String, Sendable, CaseIterable, Comparable {
    /// Population stability index on the quantile bins.
    case psi
    /// Jensen–Shannon distance (base 2, so in [0, 1]) on the quantile bins or categories.
    case jensenShannon = "jensen_shannon"
    /// Hellinger distance, in [0, 1].
    case hellinger
    /// Kolmogorov–Smirnov D: the largest gap between the two cumulative distributions.
    case ksStatistic = "ks_d"
    /// The asymptotic p-value of KS D.
    case ksPValue = "ks_p_value"
    /// Wasserstein-1 distance divided by the reference standard deviation.
    case wasserstein = "wasserstein_norm"
    /// Pearson's chi-square test p-value on the categories.
    case chiSquarePValue = "chi_square_p_value"

    /// The statistics reported for a feature of `kind`.
    public static func applicable(to kind: FeatureReference.Kind) -> [DriftStatistic] {
        switch kind {
        case .numeric: [.psi, .jensenShannon, .hellinger, .ksStatistic, .ksPValue, .wasserstein]
        case .categorical: [.psi, .jensenShannon, .hellinger, .chiSquarePValue]
        }
    }

    /// p-values signal drift when small; every other statistic when large.
    public var driftsWhenBelow: Bool {
        self == .ksPValue || self == .chiSquarePValue
    }

    public static func < (lhs: DriftStatistic, rhs: DriftStatistic) -> Bool {
        Self.allCases.firstIndex(of: lhs)! < Self.allCases.firstIndex(of: rhs)!
    }
}

/// How a feature's window compares with its baseline.
public enum DriftVerdict: String, Sendable, Comparable {
    /// Fewer values in the window than the configured minimum: no statistic is reported.
    case insufficientData = "insufficient_data"
    case ok
    /// PSI above its warning level, below every alert threshold.
    case warn
    case drift

    private var rank: Int {
        switch self {
        case .insufficientData: 0
        case .ok: 1
        case .warn: 2
        case .drift: 3
        }
    }

    public static func < (lhs: DriftVerdict, rhs: DriftVerdict) -> Bool { lhs.rank < rhs.rank }
}

/// The levels at which statistics turn a feature's verdict, and how much data a window needs.
public struct DriftThresholds: Sendable, Equatable {
    public var psiWarn: Double
    /// Alert thresholds per statistic; a statistic without one is reported but decides nothing.
    public var alert: [DriftStatistic: Double]
    /// Windows with fewer present values report `insufficient_data`.
    public var minimumSamples: Int

    /// PSI warns at 0.1 and alerts at 0.25, normalised Wasserstein and Jensen–Shannon alert at
    /// 0.1, chi-square at p < 0.001. KS and Hellinger are reported without a threshold: a KS
    /// p-value below 0.05 happens in one window in twenty without any drift.
    public init(
        psiWarn: Double = 0.1,
        alert: [DriftStatistic: Double] = [.psi: 0.25, .wasserstein: 0.1, .jensenShannon: 0.1, .chiSquarePValue: 0.001],
        minimumSamples: Int = 1000
    ) {
        self.psiWarn = psiWarn
        self.alert = alert
        self.minimumSamples = minimumSamples
    }

    /// Whether `value` of `statistic` crosses its alert threshold.
    public func crosses(_ statistic: DriftStatistic, _ value: Double) -> Bool {
        guard let threshold = self.alert[statistic], !value.isNaN else { return false }
        return statistic.driftsWhenBelow ? value < threshold : value >= threshold
    }

    /// The verdict for a set of statistics.
    public func verdict(_ values: [DriftStatistic: Double]) -> DriftVerdict {
        if values.contains(where: { self.crosses($0.key, $0.value) }) { return .drift }
        if let psi = values[.psi], psi >= self.psiWarn { return .warn }
        return .ok
    }
}
