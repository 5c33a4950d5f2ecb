import ModelWatchProtocols

/// One feature or output of a model: where its values come from, the live minute, and the
/// sealed minutes still inside the window.
struct FeatureTrack: Sendable {
    let name: String
    let role: FeatureRole
    let reference: FeatureReference?
    let source: FeatureSource
    private let binning: FeatureBinning
    private let samplePerMinute: Int
    /// Numbers outside this range are `out_of_range` violations.
    private let plausible: ClosedRange<Double>
    private var current: FeatureHistogram
    private var reservoir: ValueReservoir<FeatureValue>
    var minutes: [(minute: Int64, data: FeatureMinute)] = []

    init(name: String, role: FeatureRole, reference: FeatureReference?, source: FeatureSource, settings: DriftSettings) {
        self.name = name
        self.role = role
        self.reference = reference
        self.source = source
        self.binning = FeatureBinning(reference)
        self.samplePerMinute = settings.samplePerMinute
        if let numeric = reference?.numeric {
            let slack = (numeric.max - numeric.min) * settings.rangeTolerance
            self.plausible = (numeric.min - slack)...(numeric.max + slack)
        } else {
            self.plausible = -Double.infinity...Double.infinity
        }
        self.current = FeatureHistogram(binning: self.binning)
        self.reservoir = ValueReservoir(capacity: settings.samplePerMinute)
    }

    mutating func addMissing(_ count: Int) {
        for _ in 0..<max(count, 0) { self.current.add(.missing) }
    }

    /// Adds the values at `position` of each of `rows` rows.
    /// - Returns: values of the wrong type (counted missing) and numbers out of range (counted).
    mutating func add(_ values: Tensor.Values, rows: Int, width: Int, position: Int) -> (wrongType: Int, outOfRange: Int) {
        let numericReference = self.reference?.kind == .numeric
        var wrongType = 0
        var outOfRange = 0
        switch values {
        case .numbers(let numbers):
            var offset = position
            for _ in 0..<rows {
                guard offset < numbers.count else { break }
                let number = numbers[offset]
                offset += width
                if number.isFinite, !self.plausible.contains(number) { outOfRange += 1 }
                let value: FeatureValue = number.isNaN ? .missing : .number(number)
                self.current.add(value)
                if case .number = value { self.reservoir.offer(value) }
            }
        case .strings(let strings):
            var offset = position
            for _ in 0..<rows {
                guard offset < strings.count else { break }
                let value = FeatureValue.text(strings[offset])
                offset += width
                if numericReference {
                    wrongType += 1
                    self.current.add(.missing)
                } else {
                    self.current.add(value)
                    self.reservoir.offer(value)
                }
            }
        case .binary:
            wrongType = rows
            self.addMissing(rows)
        }
        return (wrongType, outOfRange)
    }

    /// Closes the live minute.
    /// - Returns: the minute, or `nil` when nothing was seen in it.
    mutating func seal(minute: Int64) -> FeatureMinute? {
        defer {
            self.current = FeatureHistogram(binning: self.binning)
            // A seed per minute keeps samples reproducible without repeating the same picks.
            self.reservoir = ValueReservoir(capacity: self.samplePerMinute, seed: UInt64(bitPattern: minute))
        }
        guard self.current.count + self.current.missing > 0 else { return nil }
        var data = self.current.sealed(sample: self.reservoir.values)
        if let last = self.minutes.last, last.minute == minute {
            // The same minute sealed before a restart: both halves are one minute.
            var merged = FeatureHistogram(binning: self.binning)
            if merged.add(last.data), merged.add(data) {
                data = merged.sealed(sample: Array((last.data.sample + data.sample).prefix(self.samplePerMinute)))
            }
            self.minutes.removeLast()
        }
        self.minutes.append((minute, data))
        return data
    }
}
