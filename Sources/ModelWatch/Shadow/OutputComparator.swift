/// Judges one backend output against one shadow output. Pure: the comparison, its errors and the
/// rows that differ, for metrics and the mismatch record.
struct OutputComparator {
    /// How one output pair compared.
    struct Result: Sendable, Equatable {
        /// The backend output's name.
        var output: String
        /// Rows where the two disagree.
        var differingRows: [Int]
        /// Per row, the largest absolute difference; numeric comparisons only.
        var absoluteErrors: [Double]
        /// Per row, the largest difference relative to the shadow's value; numeric comparisons only.
        var relativeErrors: [Double]
        /// Why the two could not be lined up at all (different row counts, widths, kinds).
        var incompatibility: String?

        var agrees: Bool { self.differingRows.isEmpty && self.incompatibility == nil }
    }

    let comparison: OutputComparison

    func compare(backend: ShadowOutput, shadow: ShadowOutput, output: String) -> Result {
        var result = Result(output: output, differingRows: [], absoluteErrors: [], relativeErrors: [])
        guard backend.rows == shadow.rows else {
            result.incompatibility = "the backend answered \(backend.rows) rows, the shadow \(shadow.rows)"
            return result
        }
        switch self.comparison {
        case .argmax:
            for row in 0..<backend.rows where Self.argmax(backend, row) != Self.argmax(shadow, row) {
                result.differingRows.append(row)
            }
            return result
        case .label:
            guard backend.width == shadow.width else {
                result.incompatibility = "the backend's rows have \(backend.width) values, the shadow's \(shadow.width)"
                return result
            }
            for row in 0..<backend.rows {
                let range = (row * backend.width)..<((row + 1) * backend.width)
                if range.contains(where: { backend.elements.label(at: $0) != shadow.elements.label(at: $0) }) {
                    result.differingRows.append(row)
                }
            }
            return result
        case .numeric(let absolute, let relative):
            guard backend.width == shadow.width else {
                result.incompatibility = "the backend's rows have \(backend.width) values, the shadow's \(shadow.width)"
                return result
            }
            guard case .numbers(let mine) = backend.elements, case .numbers(let theirs) = shadow.elements else {
                // Text compared numerically can only be equal or not.
                return OutputComparator(comparison: .label).compare(backend: backend, shadow: shadow, output: output)
            }
            for row in 0..<backend.rows {
                var worstAbsolute = 0.0
                var worstRelative = 0.0
                var differs = false
                for index in (row * backend.width)..<((row + 1) * backend.width) {
                    let (a, b) = (mine[index], theirs[index])
                    if a.isNaN || b.isNaN {
                        if a.isNaN != b.isNaN { differs = true }
                        continue
                    }
                    let difference = a == b ? 0 : abs(a - b)
                    let scale = abs(b)
                    worstAbsolute = max(worstAbsolute, difference)
                    worstRelative = max(worstRelative, difference == 0 ? 0 : (scale == 0 ? .infinity : difference / scale))
                    if !(difference <= absolute + relative * scale) { differs = true }
                }
                result.absoluteErrors.append(worstAbsolute)
                result.relativeErrors.append(worstRelative)
                if differs { result.differingRows.append(row) }
            }
            return result
        }
    }

    /// The class a row stands for: the index of its largest value (the first of equal ones, as
    /// numpy's `argmax`), or, for a one-wide row, the value itself.
    static func argmax(_ output: ShadowOutput, _ row: Int) -> String {
        let start = row * output.width
        guard output.width > 1, case .numbers(let values) = output.elements else {
            return output.width == 0 ? "" : output.elements.label(at: start)
        }
        var best = start
        for index in start..<(start + output.width) where values[index] > values[best] || (values[best].isNaN && !values[index].isNaN) {
            best = index
        }
        return String(best - start)
    }
}
