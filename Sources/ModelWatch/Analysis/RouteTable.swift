import ModelWatchMetrics
import ModelWatchProtocols
import Synchronization

/// The routes the data port has seen, each recognised once on an event loop and kept with its
/// model label and in-flight gauge. An exchange then carries only its route's slot (the
/// observation's tag) to the analysis pipeline, which neither recognises the route again nor
/// looks the gauge up.
///
/// Clients choose paths, so the table is bounded: past `capacity` distinct routes, further ones
/// share one entry per model label that keeps no route, and their exchanges are recognised again
/// when analysed. So is what it keeps: a request line may be 64 KiB, and a route named by a
/// longer model and version than `keptBytes`, or a path longer than that, is never kept (it
/// shares its label's entry, or is recognised again), so the table holds about 1.5 MB at most.
final class RouteTable: Sendable {
    /// What a slot stands for.
    struct Entry: Sendable {
        /// The route as recognised; `nil` for the entry that routes past capacity share.
        let route: ServingRoute?
        /// The bounded model label of the route's path (or the default model).
        let model: String
        let inFlight: InFlightGauge
        /// The series the route's exchanges record into, filled by the analysis pipeline; `nil`
        /// for the shared entry, whose exchanges' protocol and endpoint vary.
        let series: RouteSeries?
    }

    private enum Key: Hashable {
        case route(ServingRoute)
        /// Routes beyond capacity, by model label.
        case model(String)
    }

    private struct State {
        var entries: [Entry] = []
        var slots: [Key: Int] = [:]
        var routes = 0
        /// Slots by the path of a `POST` (the target without its query), so a path seen before is
        /// not recognised again: a route depends only on the method and the path, and a route's
        /// slot never changes.
        var postPaths: [Substring: Int] = [:]
    }

    /// Distinct routes kept; far above what a model server serves.
    let capacity: Int
    /// The longest path, and the longest model and version together, that the table keeps.
    static let keptBytes = 256
    private let labels: BoundedLabelValues
    private let catalogue: MetricCatalogue
    private let defaultModel: String?
    private let state = Mutex(State())

    init(labels: BoundedLabelValues, catalogue: MetricCatalogue, defaultModel: String?, capacity: Int = 1024) {
        self.labels = labels
        self.catalogue = catalogue
        self.defaultModel = defaultModel
        self.capacity = capacity
    }

    /// The slot of a request's route and what it stands for, made on first sight.
    func slot(method: String, target: String) -> (slot: Int, entry: Entry) {
        // Only `POST` routes are told apart by path; every other method is one route.
        let path = method == "POST" ? target.utf8.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? target[...] : nil
        if let path {
            let known = self.state.withLock { state in state.postPaths[path].map { ($0, state.entries[$0]) } }
            if let known { return known }
        }
        let route = ServingRoute.recognize(method: method, target: target)
        let found = self.state.withLock { state in state.slots[.route(route)].map { ($0, state.entries[$0]) } }
        let result: (slot: Int, entry: Entry) = found ?? self.add(route)
        if let path, path.utf8.count <= Self.keptBytes {
            self.state.withLock { state in
                if state.postPaths.count < self.capacity * 4 {
                    // A copy of just the path, not the whole target it is part of.
                    state.postPaths[Substring(String(path))] = result.slot
                }
            }
        }
        return result
    }

    /// Makes the slot of a route seen for the first time (or finds the one another thread just made).
    private func add(_ route: ServingRoute) -> (slot: Int, entry: Entry) {
        // Resolve the label and the gauge outside this table's lock.
        let model = self.labels.model(route.model ?? self.defaultModel ?? "unknown")
        let gauge = self.catalogue.inFlightGauge(model: model)
        return self.state.withLock { state in
            let named = (route.model?.utf8.count ?? 0) + (route.version?.utf8.count ?? 0)
            let key: Key = state.routes < self.capacity && named <= Self.keptBytes ? .route(route) : .model(model)
            if let slot = state.slots[key] { return (slot, state.entries[slot]) }
            let entry: Entry
            if case .route = key {
                state.routes += 1
                entry = Entry(route: route, model: model, inFlight: gauge, series: RouteSeries())
            } else {
                entry = Entry(route: nil, model: model, inFlight: gauge, series: nil)
            }
            state.entries.append(entry)
            state.slots[key] = state.entries.count - 1
            return (state.entries.count - 1, entry)
        }
    }

    /// How many `POST` paths the table remembers.
    var rememberedPaths: Int {
        self.state.withLock { $0.postPaths.count }
    }

    /// What `slot` stands for; `nil` for a slot this table never gave.
    func entry(_ slot: Int) -> Entry? {
        self.state.withLock { state in state.entries.indices.contains(slot) ? state.entries[slot] : nil }
    }
}
