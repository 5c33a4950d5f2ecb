/// One condition on a label, as PromQL writes it: `model="iris"`, `code!="200"`, `code=~"5.."`,
/// `model!~"test-.*"`.
public struct LabelMatcher: CustomStringConvertible {
    public enum Operator: String, Sendable, CaseIterable {
        case equal = "="
        case notEqual = "!="
        case matches = "=~"
        case notMatches = "!~"
    }

    public let name: String
    public let op: Operator
    public let value: String
    /// Compiled once; anchored at both ends, as PromQL's regular expressions are.
    private let regex: Regex<AnyRegexOutput>?

    /// - Throws: `StoreError.invalidSelector` when a regular expression does not compile.
    public init(_ name: String, _ op: Operator, _ value: String) throws(StoreError) {
        self.name = name
        self.op = op
        self.value = value
        switch op {
        case .equal, .notEqual:
            self.regex = nil
        case .matches, .notMatches:
            do {
                self.regex = try Regex("^(?:" + value + ")$")
            } catch {
                throw StoreError(.invalidSelector, "`\(value)` is not a regular expression: \(error)")
            }
        }
    }

    /// Whether a label value satisfies the condition; a missing label reads as `""`.
    public func matches(_ candidate: String) -> Bool {
        switch self.op {
        case .equal: candidate == self.value
        case .notEqual: candidate != self.value
        case .matches: (try? self.regex?.wholeMatch(in: candidate)) != nil
        case .notMatches: (try? self.regex?.wholeMatch(in: candidate)) == nil
        }
    }

    public var description: String {
        let escaped = self.value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
        return "\(self.name)\(self.op.rawValue)\"\(escaped)\""
    }
}
