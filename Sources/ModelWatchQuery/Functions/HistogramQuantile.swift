/// `histogram_quantile` over classic buckets (series with an `le` label).
public enum HistogramQuantile {
    struct Bucket {
        var upperBound: Double
        var count: Double
    }

    /// Which histogram each input sample belongs to and its bucket bound, remembered from the
    /// last step: a range query feeds the same series in at every step.
    struct Layout {
        var inputs: [Labels]
        /// By input sample: its histogram and bucket bound, or `nil` when its `le` is not a number.
        var buckets: [(histogram: Int, upperBound: Double)?]
        /// By histogram: the labels of its answer.
        var labels: [Labels]
    }

    /// - Parameter layout: the last step's layout, reused when the input's labels are the same.
    static func evaluate(_ q: Double, _ samples: [VectorSample], at time: Int64, layout: inout Layout?) -> [VectorSample] {
        if let known = layout, known.inputs.count == samples.count, zip(known.inputs, samples).allSatisfy({ $0 == $1.labels }) {
            // Labels of the same series share their storage from step to step, so comparing is cheap.
        } else {
            layout = self.layout(of: samples)
        }
        guard let layout else { return [] }
        var histograms = Array(repeating: [Bucket](), count: layout.labels.count)
        for (sample, bucket) in zip(samples, layout.buckets) {
            guard let bucket else { continue }
            histograms[bucket.histogram].append(Bucket(upperBound: bucket.upperBound, count: sample.value))
        }
        return zip(layout.labels, histograms).compactMap { labels, buckets in
            guard !buckets.isEmpty else { return nil }
            return VectorSample(labels: labels, timestamp: time, value: Self.quantile(q, buckets))
        }
    }

    private static func layout(of samples: [VectorSample]) -> Layout {
        var numbers: [Labels: Int] = [:]
        var layout = Layout(inputs: samples.map(\.labels), buckets: [], labels: [])
        for sample in samples {
            guard let upperBound = GoFloat.parse(sample.labels["le"]) else {
                layout.buckets.append(nil)
                continue
            }
            // Buckets of one histogram share every label but `le` (the metric name included).
            let signature = sample.labels.removing(["le"])
            let number: Int
            if let known = numbers[signature] {
                number = known
            } else {
                number = layout.labels.count
                numbers[signature] = number
                layout.labels.append(sample.labels.removing(["le", "__name__"]))
            }
            layout.buckets.append((number, upperBound))
        }
        return layout
    }

    static func quantile(_ q: Double, _ input: [Bucket]) -> Double {
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

extension HistogramQuantile {
    /// `histogram_quantile`'s estimate for one histogram given as cumulative bucket counts by
    /// upper bound (the `+Inf` bucket included), for reports that count buckets themselves.
    public static func quantile(_ q: Double, buckets: [(upperBound: Double, count: Double)]) -> Double {
        Self.quantile(q, buckets.map { Bucket(upperBound: $0.upperBound, count: $0.count) })
    }
}
