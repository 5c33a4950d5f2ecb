#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension Evaluator {
    /// One group of an aggregation while its samples are folded in.
    private struct Group {
        var labels: Labels
        var value: Double
        var mean: Double
        var count: Int
        var heap: [VectorSample]
        var values: [Double]
    }

    func evaluateAggregation(_ aggregate: AggregateExpression, at time: Int64) throws(QueryError) -> [VectorSample] {
        var parameter = 0.0
        var label = ""
        if let expression = aggregate.parameter {
            if aggregate.op == .countValues {
                label = try self.evaluateString(expression, at: time)
                guard Parser.isValidLabelName(label) else {
                    throw QueryError(.execution, "invalid label name \"\(label)\"")
                }
            } else {
                parameter = try self.evaluateScalar(expression, at: time)
            }
        }
        let input = try self.evaluateVector(aggregate.expression, at: time)
        let op = aggregate.op
        var k = 0
        if op == .topk || op == .bottomk {
            guard !parameter.isNaN, parameter > -9.223372036854775e18, parameter < 9.223372036854775e18 else {
                throw QueryError(.execution, "Scalar value \(GoFloat.format(parameter)) overflows int64")
            }
            k = Int(parameter)
            if k < 1 { return [] }
        }

        // Which group each sample falls in; the first sample of a group starts it.
        let grouping = op == .countValues ? nil : self.groups(of: input, for: aggregate)
        var groups: [Labels: Int] = [:]
        var ordered: [Group] = []
        let dropped = aggregate.grouping + ["__name__"]
        let kept = aggregate.grouping + (op == .countValues ? [label] : [])
        for (position, sample) in input.enumerated() {
            let index: Int?
            let key: Labels
            if let grouping {
                index = grouping.index[position] < ordered.count ? grouping.index[position] : nil
                key = grouping.labels[grouping.index[position]]
            } else {
                let labels = sample.labels.setting(label, GoFloat.format(sample.value))
                key = aggregate.without ? labels.removing(dropped) : labels.keeping(kept)
                index = groups[key]
            }
            guard let index else {
                if grouping == nil { groups[key] = ordered.count }
                var group = Group(labels: key, value: sample.value, mean: sample.value, count: 1, heap: [], values: [])
                switch op {
                case .stddev, .stdvar: group.value = 0
                case .count, .countValues, .group: group.value = 1
                case .topk, .bottomk: group.heap = [sample]
                case .quantile: group.values = [sample.value]
                default: break
                }
                ordered.append(group)
                continue
            }
            let value = sample.value
            switch op {
            case .sum:
                ordered[index].value += value
            case .avg:
                ordered[index].count += 1
                let mean = ordered[index].mean
                if mean.isInfinite {
                    if value.isInfinite && (mean > 0) == (value > 0) { break }
                    if !value.isInfinite && !value.isNaN { break }
                }
                let count = Double(ordered[index].count)
                ordered[index].mean += value / count - mean / count
            case .group:
                break
            case .count, .countValues:
                ordered[index].count += 1
                ordered[index].value = Double(ordered[index].count)
            case .max:
                if ordered[index].value < value || ordered[index].value.isNaN { ordered[index].value = value }
            case .min:
                if ordered[index].value > value || ordered[index].value.isNaN { ordered[index].value = value }
            case .stddev, .stdvar:
                ordered[index].count += 1
                let delta = value - ordered[index].mean
                ordered[index].mean += delta / Double(ordered[index].count)
                ordered[index].value += delta * (value - ordered[index].mean)
            case .topk, .bottomk:
                let less = op == .topk ? Self.topLess : Self.bottomLess
                let top = ordered[index].heap[0].value
                let better = op == .topk ? top < value : top > value
                guard ordered[index].heap.count < k || better || top.isNaN else { break }
                if ordered[index].heap.count == k {
                    if k == 1 {
                        ordered[index].heap[0] = sample
                        break
                    }
                    GoHeap.pop(&ordered[index].heap, less: less)
                }
                GoHeap.push(&ordered[index].heap, sample, less: less)
            case .quantile:
                ordered[index].values.append(value)
            }
        }

        var result: [VectorSample] = []
        for group in ordered {
            let value: Double
            switch op {
            case .avg: value = group.mean
            case .stddev: value = (group.value / Double(group.count)).squareRoot()
            case .stdvar: value = group.value / Double(group.count)
            case .quantile: value = Self.quantile(parameter, group.values)
            case .topk, .bottomk:
                var heap = group.heap
                let less = op == .topk ? Self.topLess : Self.bottomLess
                GoSort.sort(&heap) { less($1, $0) }
                result += heap.map { VectorSample(labels: $0.labels, timestamp: time, value: $0.value) }
                continue
            default: value = group.value
            }
            result.append(VectorSample(labels: group.labels, timestamp: time, value: value))
        }
        return result
    }

    /// What an aggregation remembers of its last step's grouping: a range query aggregates the
    /// same input series at every step, so the groups are worked out (labels cut, hashed) once.
    struct GroupingMemo {
        var grouping: [String]
        var without: Bool
        var inputs: [Labels]
        /// By input sample: its group, numbered in order of first appearance.
        var index: [Int]
        /// By group: its labels.
        var labels: [Labels]
    }

    /// The group of each sample of `input` (not for `count_values`, whose groups depend on values).
    private func groups(of input: [VectorSample], for aggregate: AggregateExpression) -> (index: [Int], labels: [Labels]) {
        let key = aggregate.position.offset
        // Labels of the same series share their storage from step to step, so comparing is cheap.
        if let memo = self.groupingMemos[key], memo.grouping == aggregate.grouping, memo.without == aggregate.without,
            memo.inputs.count == input.count, zip(memo.inputs, input).allSatisfy({ $0 == $1.labels })
        {
            return (memo.index, memo.labels)
        }
        let dropped = aggregate.grouping + ["__name__"]
        var numbers: [Labels: Int] = [:]
        var index: [Int] = []
        var labels: [Labels] = []
        index.reserveCapacity(input.count)
        for sample in input {
            let key = aggregate.without ? sample.labels.removing(dropped) : sample.labels.keeping(aggregate.grouping)
            if let number = numbers[key] {
                index.append(number)
            } else {
                numbers[key] = labels.count
                index.append(labels.count)
                labels.append(key)
            }
        }
        self.groupingMemos[key] = GroupingMemo(
            grouping: aggregate.grouping, without: aggregate.without, inputs: input.map(\.labels), index: index, labels: labels)
        return (index, labels)
    }

    private static func topLess(_ lhs: VectorSample, _ rhs: VectorSample) -> Bool {
        if lhs.value.isNaN { return true }
        return lhs.value < rhs.value
    }

    private static func bottomLess(_ lhs: VectorSample, _ rhs: VectorSample) -> Bool {
        if lhs.value.isNaN { return true }
        return lhs.value > rhs.value
    }

    /// The φ-quantile of values, interpolated between ranks as Prometheus does.
    static func quantile(_ q: Double, _ input: [Double]) -> Double {
        if input.isEmpty || q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        var values = input
        GoSort.sort(&values) { $0.isNaN || $0 < $1 }
        let count = Double(values.count)
        let rank = q * (count - 1)
        let lower = max(0, Int(floor(rank)))
        let upper = min(values.count - 1, lower + 1)
        let weight = rank - floor(rank)
        return values[lower] * (1 - weight) + values[upper] * weight
    }
}
