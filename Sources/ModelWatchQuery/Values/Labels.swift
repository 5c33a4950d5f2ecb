public import ModelWatchStore

/// A label set as PromQL sees it: the metric name is the label `__name__`; labels sorted by name,
/// names unique, no empty values.
public struct Labels: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The labels, sorted by name.
    public private(set) var pairs: [SeriesKey.Label]

    /// - Parameter pairs: in any order; empty values are dropped, a later duplicate name wins.
    public init(_ pairs: [SeriesKey.Label]) {
        var byName: [String: String] = [:]
        for pair in pairs { byName[pair.name] = pair.value }
        self.pairs = byName.filter { !$0.value.isEmpty }.map { SeriesKey.Label($0.key, $0.value) }.sorted { $0.name < $1.name }
    }

    private init(sorted: [SeriesKey.Label]) { self.pairs = sorted }

    /// No labels at all.
    public static let empty = Labels(sorted: [])

    /// The labels of a stored series, its name as `__name__`.
    public init(_ key: SeriesKey) {
        var pairs = key.labels
        if !key.name.isEmpty { pairs.append(SeriesKey.Label("__name__", key.name)) }
        self.init(pairs)
    }

    /// The value of a label, or `""` when absent.
    public subscript(name: String) -> String {
        for pair in self.pairs where pair.name == name { return pair.value }
        return ""
    }

    /// Whether a label of that name is present.
    public func has(_ name: String) -> Bool { self.pairs.contains { $0.name == name } }

    /// The same labels with one set (or removed when `value` is empty).
    public func setting(_ name: String, _ value: String) -> Labels {
        var pairs = self.pairs.filter { $0.name != name }
        guard !value.isEmpty else { return Labels(sorted: pairs) }
        let index = pairs.firstIndex { $0.name > name } ?? pairs.count
        pairs.insert(SeriesKey.Label(name, value), at: index)
        return Labels(sorted: pairs)
    }

    /// The same labels without those named (grouping lists are short: a linear search beats hashing).
    public func removing(_ names: [String]) -> Labels {
        Labels(sorted: self.pairs.filter { !names.contains($0.name) })
    }

    /// Only the labels named.
    public func keeping(_ names: [String]) -> Labels {
        Labels(sorted: self.pairs.filter { names.contains($0.name) })
    }

    /// Without `__name__`, as arithmetic and most functions leave a series.
    public var droppingName: Labels {
        guard self.pairs.contains(where: { $0.name == "__name__" }) else { return self }
        return Labels(sorted: self.pairs.filter { $0.name != "__name__" })
    }

    /// Labels compared pair by pair, names then values, as Prometheus orders series.
    public static func < (lhs: Labels, rhs: Labels) -> Bool {
        for (left, right) in zip(lhs.pairs, rhs.pairs) {
            if left.name != right.name { return left.name < right.name }
            if left.value != right.value { return left.value < right.value }
        }
        return lhs.pairs.count < rhs.pairs.count
    }

    /// `name{a="x", b="y"}` as Prometheus prints a metric.
    public var description: String {
        let name = self["__name__"]
        let rest = self.pairs.filter { $0.name != "__name__" }.map { pair in
            let escaped = pair.value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
            return "\(pair.name)=\"\(escaped)\""
        }
        if rest.isEmpty && !name.isEmpty { return name }
        return "\(name){\(rest.joined(separator: ", "))}"
    }
}
