import ModelWatchProtocols

/// Where a feature's values sit in a decoded payload: a tensor, and for tensors with more than
/// one value per row, the position within the row (`input-0[3]`).
///
/// The default name of every value is its source written out, so a baseline built from columns
/// named like the payload needs no mapping; a mapping renames (`sepal_length: input-0[0]`).
public struct FeatureSource: Sendable, Hashable, CustomStringConvertible {
    public var tensor: String
    /// The position within a row, row-major over the per-row dimensions; `nil` for one value a row.
    public var position: Int?

    public init(tensor: String, position: Int?) {
        self.tensor = tensor
        self.position = position
    }

    /// Reads `name` or `name[3]`.
    public init(parsing text: String) {
        if text.hasSuffix("]"), let open = text.lastIndex(of: "["),
            let position = Int(text[text.index(after: open)..<text.index(before: text.endIndex)]), position >= 0
        {
            self.init(tensor: String(text[..<open]), position: position)
        } else {
            self.init(tensor: text, position: nil)
        }
    }

    public var description: String {
        self.position.map { "\(self.tensor)[\($0)]" } ?? self.tensor
    }

    /// The sources of every value in a row of `tensor`, in order.
    static func all(of tensor: Tensor) -> [FeatureSource] {
        let width = Self.rowWidth(of: tensor)
        if tensor.shape.count <= 1 { return [FeatureSource(tensor: tensor.name, position: nil)] }
        return (0..<width).map { FeatureSource(tensor: tensor.name, position: $0) }
    }

    /// Rows in a tensor: its first dimension (a scalar is one row).
    static func rows(of tensor: Tensor) -> Int {
        tensor.shape.first ?? 1
    }

    /// Values per row.
    static func rowWidth(of tensor: Tensor) -> Int {
        tensor.shape.dropFirst().reduce(1, *)
    }
}
