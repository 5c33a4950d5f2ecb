public import ModelWatchProtocols

/// One model's drift state: the live minute of every feature and output, the sealed minutes of
/// the window, and the statistics over them.
///
/// A plain value type, owned by one caller under a lock: observing is a few array increments
/// per value, sealing hands back what the store must keep, and a report sums the window's
/// minutes. Without a baseline it still samples every payload value (up to
/// `maximumFeatures`), so a baseline can later be captured from live traffic.
public struct ModelDriftMonitor: Sendable {
    /// A minute that is complete and ready for the store.
    public struct SealedMinute: Sendable {
        public var role: FeatureRole
        public var name: String
        /// The minute's start, Unix milliseconds.
        public var minute: Int64
        public var data: FeatureMinute

        public init(role: FeatureRole, name: String, minute: Int64, data: FeatureMinute) {
            self.role = role
            self.name = name
            self.minute = minute
            self.data = data
        }
    }

    public let model: String
    public let baseline: Baseline?
    /// The baseline's identifier, stored with every minute binned on its edges.
    public let baselineIdentifier: String?
    public let settings: DriftSettings
    private var tracks: [FeatureTrack] = []
    private var bySource: [FeatureRole: [FeatureSource: Int]] = [.feature: [:], .output: [:]]
    private var byName: [FeatureRole: [String: Int]] = [.feature: [:], .output: [:]]
    /// Without a baseline, the tracks each tensor's values went to, by role and tensor name: a
    /// payload shaped like the last one then skips writing out every value's source and looking
    /// each up. Cleared whenever a track is added, so it never disagrees with `bySource`.
    private var discovered: [DiscoveredTensor.Key: DiscoveredTensor] = [:]
    private var currentMinute: Int64?
    private var pending: [SealedMinute] = []

    /// - Parameter mapping: feature or output name → its payload source (`input-0[2]`); names
    ///   not mapped are their own source.
    public init(model: String, baseline: Baseline?, mapping: [String: String] = [:], settings: DriftSettings) {
        self.model = model
        self.baseline = baseline
        self.baselineIdentifier = baseline?.identifier
        self.settings = settings
        for (role, references) in [(FeatureRole.feature, baseline?.features ?? []), (.output, baseline?.outputs ?? [])] {
            for reference in references {
                let source = FeatureSource(parsing: mapping[reference.name] ?? reference.name)
                self.addTrack(FeatureTrack(name: reference.name, role: role, reference: reference, source: source, settings: settings))
            }
        }
    }

    private mutating func addTrack(_ track: FeatureTrack) {
        self.byName[track.role, default: [:]][track.name] = self.tracks.count
        self.bySource[track.role, default: [:]][track.source] = self.tracks.count
        self.tracks.append(track)
        self.discovered.removeAll()
    }

    /// The tracked names, features first.
    public var trackedNames: [(role: FeatureRole, name: String)] {
        self.tracks.map { ($0.role, $0.name) }
    }

    // MARK: Observing

    /// Counts one exchange's values into the minute starting at `minute`.
    /// - Returns: schema violations, per feature and kind, for the metrics.
    public mutating func observe(request: DecodedPayload?, response: DecodedPayload?, minute: Int64) -> [SchemaViolation: Int] {
        if let current = self.currentMinute, current != minute {
            self.sealCurrent()
        }
        self.currentMinute = minute
        var violations: [SchemaViolation: Int] = [:]
        if let request { self.observe(request, role: .feature, violations: &violations) }
        if let response { self.observe(response, role: .output, violations: &violations) }
        return violations
    }

    private mutating func observe(_ payload: DecodedPayload, role: FeatureRole, violations: inout [SchemaViolation: Int]) {
        if self.baseline == nil {
            self.discover(payload, role: role)
            return
        }
        let rows = payload.batchSize ?? payload.tensors.first.map(FeatureSource.rows) ?? 1
        for index in self.tracks.indices where self.tracks[index].role == role {
            let source = self.tracks[index].source
            guard let tensor = payload.tensors.first(where: { $0.name == source.tensor }) else {
                self.tracks[index].addMissing(rows)
                violations[SchemaViolation(feature: self.tracks[index].name, kind: .missing), default: 0] += rows
                continue
            }
            let width = FeatureSource.rowWidth(of: tensor)
            let tensorRows = FeatureSource.rows(of: tensor)
            let position = source.position ?? 0
            guard position < width, source.position != nil || width == 1 else {
                self.tracks[index].addMissing(tensorRows)
                violations[SchemaViolation(feature: self.tracks[index].name, kind: .unexpectedShape), default: 0] += tensorRows
                continue
            }
            let counts = self.tracks[index].add(tensor.values, rows: tensorRows, width: width, position: position)
            if counts.wrongType > 0 {
                violations[SchemaViolation(feature: self.tracks[index].name, kind: .wrongType), default: 0] += counts.wrongType
            }
            if counts.outOfRange > 0 {
                violations[SchemaViolation(feature: self.tracks[index].name, kind: .outOfRange), default: 0] += counts.outOfRange
            }
        }
    }

    /// Without a baseline every value is tracked under its default name, up to the limit.
    private mutating func discover(_ payload: DecodedPayload, role: FeatureRole) {
        for tensor in payload.tensors {
            if case .binary = tensor.values { continue }
            let width = FeatureSource.rowWidth(of: tensor)
            let rows = FeatureSource.rows(of: tensor)
            let key = DiscoveredTensor.Key(role: role, tensor: tensor.name)
            let perRow = tensor.shape.count > 1
            let destinations: [DiscoveredTensor.Destination]
            if let known = self.discovered[key], known.width == width, known.perRow == perRow {
                destinations = known.destinations
            } else {
                destinations = self.destinations(of: tensor, role: role)
                self.discovered[key] = DiscoveredTensor(width: width, perRow: perRow, destinations: destinations)
            }
            for destination in destinations {
                _ = self.tracks[destination.track].add(tensor.values, rows: rows, width: width, position: destination.position)
            }
        }
    }

    /// The tracks of a tensor's values in row order, made on first sight; past the feature
    /// limit, only those that already have one.
    private mutating func destinations(of tensor: Tensor, role: FeatureRole) -> [DiscoveredTensor.Destination] {
        var destinations: [DiscoveredTensor.Destination] = []
        for source in FeatureSource.all(of: tensor) {
            var index = self.bySource[role]?[source]
            if index == nil, self.tracks.count < self.settings.maximumFeatures {
                index = self.tracks.count
                self.addTrack(FeatureTrack(name: source.description, role: role, reference: nil, source: source, settings: self.settings))
            }
            guard let index else { break }
            destinations.append(DiscoveredTensor.Destination(track: index, position: source.position ?? 0))
        }
        return destinations
    }

    // MARK: Sealing

    private mutating func sealCurrent() {
        guard let minute = self.currentMinute else { return }
        self.currentMinute = nil
        for index in self.tracks.indices {
            if let data = self.tracks[index].seal(minute: minute) {
                self.pending.append(SealedMinute(role: self.tracks[index].role, name: self.tracks[index].name, minute: minute, data: data))
            }
        }
        self.forget(before: minute + 60_000 - Int64(self.settings.windowMinutes) * 60_000)
    }

    /// Closes the live minute if it started before `minute`.
    /// - Returns: every minute sealed since the last call, for the store.
    public mutating func seal(before minute: Int64) -> [SealedMinute] {
        if let current = self.currentMinute, current < minute { self.sealCurrent() }
        defer { self.pending.removeAll() }
        return self.pending
    }

    /// Drops sealed minutes that no window ending now or later can include.
    private mutating func forget(before minute: Int64) {
        for index in self.tracks.indices { self.tracks[index].minutes.removeAll { $0.minute < minute } }
    }

    /// Puts back minutes read from the store after a restart. Minutes of names this monitor
    /// does not track, or binned on another baseline's edges, are skipped.
    /// - Returns: how many minutes were restored.
    @discardableResult
    public mutating func restore(_ minutes: [SealedMinute]) -> Int {
        var restored = 0
        for sealed in minutes {
            var index = self.byName[sealed.role]?[sealed.name]
            if index == nil, self.baseline == nil, self.tracks.count < self.settings.maximumFeatures {
                index = self.tracks.count
                self.addTrack(
                    FeatureTrack(
                        name: sealed.name, role: sealed.role, reference: nil, source: FeatureSource(parsing: sealed.name),
                        settings: self.settings))
            }
            guard let index, !self.tracks[index].minutes.contains(where: { $0.minute == sealed.minute }) else { continue }
            self.tracks[index].minutes.append((sealed.minute, sealed.data))
            self.tracks[index].minutes.sort { $0.minute < $1.minute }
            restored += 1
        }
        return restored
    }

    // MARK: Reporting

    /// Drift over the window of whole minutes that ends at `end` (exclusive).
    public func report(end: Int64) -> ModelDriftReport {
        let start = end - Int64(self.settings.windowMinutes) * 60_000
        var entries: [FeatureDrift] = []
        for track in self.tracks {
            guard let reference = track.reference else { continue }
            let minutes = track.minutes.filter { $0.minute >= start && $0.minute < end }.map(\.data)
            entries.append(DriftEvaluator(settings: self.settings).evaluate(reference, role: track.role, minutes: minutes))
        }
        return ModelDriftReport(model: self.model, start: start, end: end, entries: entries)
    }
}

/// Where one tensor's values go when a monitor without a baseline discovers them, valid while
/// the tensor keeps the row layout it was discovered with.
private struct DiscoveredTensor {
    struct Key: Hashable {
        let role: FeatureRole
        let tensor: String
    }

    struct Destination {
        let track: Int
        let position: Int
    }

    /// Values per row when discovered.
    let width: Int
    /// Whether the tensor had per-row dimensions (`input-0[3]`) rather than one value a row.
    let perRow: Bool
    let destinations: [Destination]
}
