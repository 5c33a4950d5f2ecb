import ModelWatchReference

/// Compares an interpreter output with an expected tensor; nil when they agree.
enum TensorComparison {
    /// numpy's `assert_allclose`: |actual − expected| ≤ atol + rtol · |expected|, NaN equal to NaN;
    /// integers, bools and strings exactly.
    static func allClose(_ actual: Tensor, _ expected: Tensor, rtol: Double, atol: Double) -> String? {
        guard actual.shape == expected.shape || (actual.count == expected.count && actual.count <= 1) else {
            return "shape \(actual.shape), expected \(expected.shape)"
        }
        guard actual.elementType == expected.elementType else { return "type \(actual.elementType), expected \(expected.elementType)" }
        switch expected.storage {
        case .float, .double:
            let a = actual.doubleValues ?? []
            let e = expected.doubleValues ?? []
            for index in e.indices {
                if a[index].isNaN && e[index].isNaN { continue }
                if a[index] == e[index] { continue }
                if !(abs(a[index] - e[index]) <= atol + rtol * abs(e[index])) {
                    return "element \(index): \(a[index]), expected \(e[index])"
                }
            }
            return nil
        default:
            return actual.storage == expected.storage
                ? nil : "values differ: \(actual.stringValues.prefix(8)) vs \(expected.stringValues.prefix(8))"
        }
    }

    /// The largest |actual − expected| and the tolerance 1e-5 · max(1, max |expected|).
    static func scoreError(_ actual: [Double], _ expected: [Double]) -> (error: Double, tolerance: Double) {
        let scale = max(1, expected.map { abs($0) }.filter(\.isFinite).max() ?? 0)
        var error = 0.0
        for (a, e) in zip(actual, expected) {
            if a.isNaN && e.isNaN { continue }
            if a == e { continue }
            error = max(error, abs(a - e).isNaN ? .infinity : abs(a - e))
        }
        if actual.count != expected.count { error = .infinity }
        return (error, 1e-5 * scale)
    }
}
