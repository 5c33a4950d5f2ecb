/// `histogram_quantile` over classic buckets (series with an `le` label).
enum HistogramQuantile {
    private struct Bucket {
        var upperBound: Double
        var count: Double
    }

    static func evaluate(_ q: Double, _ samples: [VectorSample], at time: Int64) -> [VectorSample] {
        var groups: [Labels: (labels: Labels, buckets: [Bucket])] = [:]
        var order: [Labels] = []
        for sample in samples {
            guard let upperBound = GoFloat.parse(sample.labels["le"]) else { continue }
            // Buckets of one histogram share every label but `le` (the metric name included).
            let signature = sample.labels.removing(["le"])
            if groups[signature] == nil {
                groups[signature] = (sample.labels.removing(["le", "__name__"]), [])
                order.append(signature)
            }
            groups[signature]?.buckets.append(Bucket(upperBound: upperBound, count: sample.value))
        }
        return order.compactMap { signature in
            guard let group = groups[signature], !group.buckets.isEmpty else { return nil }
            return VectorSample(labels: group.labels, timestamp: time, value: Self.quantile(q, group.buckets))
        }
    }

    private static func quantile(_ q: Double, _ input: [Bucket]) -> Double {
        if q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        let sorted = input.sorted { $0.upperBound < $1.upperBound }
        guard let last = sorted.last, last.upperBound == .infinity else { return .nan }
        // Buckets with the same bound are one bucket.
        var buckets: [Bucket] = []
        for bucket in sorted {
            if let previous = buckets.last, previous.upperBound == bucket.upperBound {
                buckets[buckets.count - 1].count += bucket.count
            } else {
                buckets.append(bucket)
            }
        }
        // Counts of cumulative buckets never go down; a lower count is raised to the one before it.
        var highest = buckets[0].count
        for index in buckets.indices.dropFirst() {
            if buckets[index].count > highest {
                highest = buckets[index].count
            } else if buckets[index].count < highest {
                buckets[index].count = highest
            }
        }
        guard buckets.count >= 2 else { return .nan }
        let observations = buckets[buckets.count - 1].count
        guard observations != 0 else { return .nan }
        var rank = q * observations
        // Go's sort.Search over all but the last bucket: the first whose count reaches the rank.
        var index = 0
        var high = buckets.count - 1
        while index < high {
            let middle = (index + high) / 2
            if !(buckets[middle].count >= rank) { index = middle + 1 } else { high = middle }
        }
        if index == buckets.count - 1 { return buckets[buckets.count - 2].upperBound }
        if index == 0 && buckets[0].upperBound <= 0 { return buckets[0].upperBound }
        var bucketStart = 0.0
        let bucketEnd = buckets[index].upperBound
        var count = buckets[index].count
        if index > 0 {
            bucketStart = buckets[index - 1].upperBound
            count -= buckets[index - 1].count
            rank -= buckets[index - 1].count
        }
        return bucketStart + (bucketEnd - bucketStart) * (rank / count)
    }
}
