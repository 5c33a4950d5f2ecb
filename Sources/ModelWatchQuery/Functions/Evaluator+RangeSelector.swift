extension Evaluator {
    /// The range selector a range function reads directly (maybe in parentheses), or `nil` for a subquery.
    static func plainRangeSelector(_ expression: PromQLExpression) -> (selector: VectorSelector, range: Int64)? {
        switch expression {
        case .matrixSelector(let selector, let range, _): (selector, range)
        case .parenthesized(let inner, _): self.plainRangeSelector(inner)
        default: nil
        }
    }

    /// `rate`, `increase` and `delta` of a range selector, computed over each loaded series' own
    /// samples in the window: a range query of a day calls this once per step, so the window is a
    /// slice rather than a copy, and the name-dropped labels are made once per series, not per step.
    /// - Returns: the samples, and whether their labels are known to be unique (no check needed).
    func extrapolatedDeltas(_ name: String, of selector: VectorSelector, range: Int64, at time: Int64) throws(QueryError)
        -> (samples: [VectorSample], unique: Bool)
    {
        let reference = (self.resolve(selector.at) ?? time) - selector.offset
        let start = reference - range
        let all = try self.series(of: selector)
        let nameless = self.namelessLabels(of: selector, all)
        let isCounter = name != "delta"
        let isRate = name == "rate"
        var result: [VectorSample] = []
        var count = 0
        for index in all.indices {
            let points = all[index].points
            let low = Self.firstIndex(notBefore: start, in: points)
            let high = Self.firstIndex(after: reference, in: points)
            guard low < high else { continue }
            let window = points[low..<high]
            let value: Double?
            if window.contains(where: { StaleMarker.isStale($0.value) }) {
                let kept = window.filter { !StaleMarker.isStale($0.value) }
                count += kept.count
                value = OverTime.extrapolatedDelta(
                    kept, start: start, end: reference, range: range, isCounter: isCounter, isRate: isRate)
            } else {
                count += window.count
                value = OverTime.extrapolatedDelta(
                    window, start: start, end: reference, range: range, isCounter: isCounter, isRate: isRate)
            }
            guard let value else { continue }
            result.append(VectorSample(labels: nameless.labels[index], timestamp: time, value: value))
        }
        try self.account(count)
        return (result, nameless.unique)
    }

    /// Each loaded series' labels without the metric name, made on first use, and whether they
    /// are all different (then no subset of them can hold a duplicate).
    private func namelessLabels(of selector: VectorSelector, _ series: [Series]) -> (labels: [Labels], unique: Bool) {
        if let known = self.namelessCache[selector.id] { return known }
        let labels = series.map(\.labels.droppingName)
        let made = (labels, Set(labels).count == labels.count)
        self.namelessCache[selector.id] = made
        return made
    }
}
