import ModelWatchStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension Evaluator {
    func evaluateBinary(_ binary: BinaryExpression, at time: Int64) throws(QueryError) -> QueryValue {
        let lhs = try self.evaluate(binary.lhs, at: time)
        let rhs = try self.evaluate(binary.rhs, at: time)
        switch (lhs, rhs) {
        case (.scalar(_, let left), .scalar(_, let right)):
            let (value, keep) = Self.apply(binary.op, left, right)
            if binary.op.isComparison { return .scalar(timestamp: time, value: keep ? 1 : 0) }
            return .scalar(timestamp: time, value: value)
        case (.vector(let left), .scalar(_, let right)):
            return .vector(try self.vectorScalar(binary, left, right, scalarOnLeft: false, at: time))
        case (.scalar(_, let left), .vector(let right)):
            return .vector(try self.vectorScalar(binary, right, left, scalarOnLeft: true, at: time))
        case (.vector(let left), .vector(let right)):
            let matching = binary.matching ?? VectorMatching(cardinality: .oneToOne, labels: [], on: false, include: [])
            let result: [VectorSample]
            switch binary.op {
            case .and: result = self.intersect(left, right, matching)
            case .or: result = self.union(left, right, matching)
            case .unless: result = self.difference(left, right, matching)
            default: result = try self.vectorVector(binary, left, right, matching, at: time)
            }
            try self.account(result.count)
            return .vector(result)
        default:
            throw QueryError(.execution, "binary expression must contain only scalar and instant vector types")
        }
    }

    /// The arithmetic or comparison of two values; for comparisons, whether the pair passes (the value is `lhs`).
    static func apply(_ op: BinaryOperator, _ lhs: Double, _ rhs: Double) -> (Double, Bool) {
        switch op {
        case .add: return (lhs + rhs, true)
        case .sub: return (lhs - rhs, true)
        case .mul: return (lhs * rhs, true)
        case .div: return (lhs / rhs, true)
        case .pow: return (pow(lhs, rhs), true)
        case .mod: return (fmod(lhs, rhs), true)
        case .atan2: return (atan2(lhs, rhs), true)
        case .eql: return (lhs, lhs == rhs)
        case .neq: return (lhs, lhs != rhs)
        case .gtr: return (lhs, lhs > rhs)
        case .lss: return (lhs, lhs < rhs)
        case .gte: return (lhs, lhs >= rhs)
        case .lte: return (lhs, lhs <= rhs)
        case .and, .or, .unless: return (.nan, false)
        }
    }

    private static func dropsName(_ op: BinaryOperator) -> Bool {
        switch op {
        // As in Prometheus 2.42, atan2 keeps the metric name.
        case .add, .sub, .mul, .div, .mod, .pow: true
        default: false
        }
    }

    private func vectorScalar(
        _ binary: BinaryExpression, _ vector: [VectorSample], _ scalar: Double, scalarOnLeft: Bool, at time: Int64
    ) throws(QueryError) -> [VectorSample] {
        var result: [VectorSample] = []
        for sample in vector {
            let (left, right) = scalarOnLeft ? (scalar, sample.value) : (sample.value, scalar)
            var (value, keep) = Self.apply(binary.op, left, right)
            // A comparison keeps the vector's value, whichever side the vector is on.
            if binary.op.isComparison && scalarOnLeft { value = right }
            if binary.returnBool {
                value = keep ? 1 : 0
                keep = true
            }
            guard keep else { continue }
            let labels = Self.dropsName(binary.op) || binary.returnBool ? sample.labels.droppingName : sample.labels
            result.append(VectorSample(labels: labels, timestamp: time, value: value))
        }
        try self.checkUnique(result)
        try self.account(result.count)
        return result
    }

    /// The key two series are matched on.
    static func signature(_ labels: Labels, _ matching: VectorMatching) -> Labels {
        if matching.on { return labels.keeping(matching.labels) }
        return labels.removing(matching.labels + ["__name__"])
    }

    private func intersect(_ lhs: [VectorSample], _ rhs: [VectorSample], _ matching: VectorMatching) -> [VectorSample] {
        let right = Set(rhs.map { Self.signature($0.labels, matching) })
        return lhs.filter { right.contains(Self.signature($0.labels, matching)) }
    }

    private func union(_ lhs: [VectorSample], _ rhs: [VectorSample], _ matching: VectorMatching) -> [VectorSample] {
        let left = Set(lhs.map { Self.signature($0.labels, matching) })
        return lhs + rhs.filter { !left.contains(Self.signature($0.labels, matching)) }
    }

    private func difference(_ lhs: [VectorSample], _ rhs: [VectorSample], _ matching: VectorMatching) -> [VectorSample] {
        let right = Set(rhs.map { Self.signature($0.labels, matching) })
        return lhs.filter { !right.contains(Self.signature($0.labels, matching)) }
    }

    private func vectorVector(
        _ binary: BinaryExpression, _ lhs: [VectorSample], _ rhs: [VectorSample], _ matching: VectorMatching, at time: Int64
    ) throws(QueryError) -> [VectorSample] {
        if matching.cardinality == .manyToMany {
            throw QueryError(.execution, "many-to-many only allowed for set operators")
        }
        if lhs.isEmpty || rhs.isEmpty { return [] }
        // The "one" side is indexed; the other side is walked. group_right swaps them.
        let swapped = matching.cardinality == .oneToMany
        let many = swapped ? rhs : lhs
        let one = swapped ? lhs : rhs
        var oneBySignature: [Labels: VectorSample] = [:]
        for sample in one {
            let signature = Self.signature(sample.labels, matching)
            if oneBySignature.updateValue(sample, forKey: signature) != nil {
                let side = swapped ? "left" : "right"
                throw QueryError(
                    .execution,
                    "found duplicate series for the match group \(signature) on the \(side) hand-side of the operation: "
                        + "[\(oneBySignature[signature]?.labels.description ?? ""), \(sample.labels)];"
                        + "many-to-many matching not allowed: matching labels must be unique on one side")
            }
        }
        var matchedSignatures = Set<Labels>()
        var insertedLabels = Set<Labels>()
        var result: [VectorSample] = []
        for sample in many {
            let signature = Self.signature(sample.labels, matching)
            guard let other = oneBySignature[signature] else { continue }
            let (left, right) = swapped ? (other.value, sample.value) : (sample.value, other.value)
            var (value, keep) = Self.apply(binary.op, left, right)
            if binary.returnBool {
                value = keep ? 1 : 0
                keep = true
            }
            guard keep else { continue }
            let labels = self.resultLabels(sample.labels, other.labels, binary, matching)
            if matching.cardinality == .oneToOne {
                if !matchedSignatures.insert(signature).inserted {
                    throw QueryError(
                        .execution, "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                }
            } else if !insertedLabels.insert(labels).inserted {
                throw QueryError(.execution, "multiple matches for labels: grouping labels must ensure unique matches")
            }
            result.append(VectorSample(labels: labels, timestamp: time, value: value))
        }
        return result
    }

    private func resultLabels(_ many: Labels, _ one: Labels, _ binary: BinaryExpression, _ matching: VectorMatching) -> Labels {
        var labels = many
        if Self.dropsName(binary.op) || binary.returnBool { labels = labels.droppingName }
        if matching.cardinality == .oneToOne {
            labels = matching.on ? labels.keeping(matching.labels) : labels.removing(matching.labels)
        }
        for name in matching.include {
            labels = labels.setting(name, one[name])
        }
        return labels
    }
}
