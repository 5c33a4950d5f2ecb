import ModelWatchProtocols
import ModelWatchReference

/// One output as compared: rows of equal width, numbers or text, whichever side it came from.
struct ShadowOutput: Sendable, Equatable {
    enum Elements: Sendable, Equatable {
        case numbers([Double])
        case strings([String])
    }

    var rows: Int
    var width: Int
    var elements: Elements

    init(rows: Int, width: Int, elements: Elements) {
        self.rows = rows
        self.width = width
        self.elements = elements
    }

    /// A decoded payload tensor; `nil` for binary data, whose values are not read, or values
    /// that do not fill whole rows.
    init?(_ tensor: ModelWatchProtocols.Tensor) {
        switch tensor.values {
        case .numbers(let values): self.elements = .numbers(values)
        case .strings(let values): self.elements = .strings(values)
        case .binary: return nil
        }
        let count = self.elements.count
        self.rows = tensor.shape.count <= 1 ? (tensor.shape.first ?? 1) : tensor.shape[0]
        if tensor.shape.count == 1, tensor.shape[0] == count {
            // A one-dimensional answer is one value per row (`predictions: [0, 2, 1]`).
            self.width = 1
        } else {
            self.width = self.rows == 0 ? 0 : count / max(1, self.rows)
        }
        // Values that do not fill whole rows cannot be lined up with anything.
        guard self.rows * self.width == count else { return nil }
    }

    /// A reference model's output: a tensor, or ZipMap's maps as one column per class.
    init(_ value: Value) {
        switch value {
        case .tensor(let tensor):
            if case .string(let strings) = tensor.storage {
                self.elements = .strings(strings)
            } else {
                self.elements = .numbers(tensor.doubleValues ?? [])
            }
            self.rows = tensor.shape.first ?? 1
            self.width = self.rows == 0 ? 0 : tensor.count / max(1, self.rows)
        case .maps(let maps):
            self.elements = .numbers(maps.values.map(Double.init))
            self.rows = maps.count
            self.width = maps.keys.count
        }
    }

    /// Row `row` as text, for a mismatch record.
    func describeRow(_ row: Int) -> String {
        let range = (row * self.width)..<min(self.elements.count, (row + 1) * self.width)
        let items: [String]
        switch self.elements {
        case .numbers(let values): items = values[range].map(Self.format)
        case .strings(let values): items = values[range].map { "\"\($0)\"" }
        }
        return items.count == 1 ? items[0] : "[" + items.joined(separator: ", ") + "]"
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

extension ShadowOutput.Elements {
    var count: Int {
        switch self {
        case .numbers(let values): return values.count
        case .strings(let values): return values.count
        }
    }

    /// Element `index` as a label: integral numbers without a fraction, so `1.0` and `"1"` agree.
    func label(at index: Int) -> String {
        switch self {
        case .numbers(let values): return ShadowOutput.format(values[index])
        case .strings(let values): return values[index]
        }
    }
}
