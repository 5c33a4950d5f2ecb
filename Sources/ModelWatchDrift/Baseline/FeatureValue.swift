/// One value of one feature in one row: what drift sees of a payload or a reference table cell.
public enum FeatureValue: Sendable, Equatable {
    case number(Double)
    case text(String)
    /// Absent, empty, null — or NaN, which no histogram can place.
    case missing

    /// A table cell as typed by a person: numbers where they parse, empty and `NaN` as missing.
    public init(cell: Substring) {
        if cell.isEmpty {
            self = .missing
        } else if let number = Double(cell) {
            self = number.isNaN ? .missing : .number(number)
        } else {
            self = .text(String(cell))
        }
    }

    /// The category this value falls in when its feature is categorical: integral numbers print
    /// without a fraction, so a label sent as `1` or `1.0` is the same category as the CSV's `1`.
    public var category: String? {
        switch self {
        case .text(let text): return text
        case .number(let number):
            if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
            return String(number)
        case .missing: return nil
        }
    }
}
