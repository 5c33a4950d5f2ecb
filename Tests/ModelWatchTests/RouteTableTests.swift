import ModelWatchMetrics
import ModelWatchProtocols
import Testing

@testable import ModelWatch

@Suite("Route table")
struct RouteTableTests {
    static func text(_ catalogue: MetricCatalogue) -> String {
        String(decoding: catalogue.exposition(), as: UTF8.self)
    }

    @Test("a route is recognised once: its requests share a slot that keeps the route and the model's in-flight gauge")
    func sameRouteSameSlot() throws {
        let catalogue = MetricCatalogue(version: "test")
        let table = RouteTable(labels: BoundedLabelValues(), catalogue: catalogue, defaultModel: nil)
        let first = table.slot(method: "POST", target: "/v2/models/iris/infer")
        let again = table.slot(method: "POST", target: "/v2/models/iris/infer?trace=1")
        let versioned = table.slot(method: "POST", target: "/v2/models/iris/versions/2/infer")
        #expect(first.slot == again.slot)
        #expect(versioned.slot != first.slot)
        let entry = try #require(table.entry(versioned.slot))
        #expect(entry.route == ServingRoute(protocol: .openInference, model: "iris", version: "2", endpoint: "infer"))
        #expect(entry.model == "iris")
        first.entry.inFlight.raise()
        versioned.entry.inFlight.raise()
        #expect(Self.text(catalogue).contains(#"modelwatch_requests_in_flight{model="iris"} 2"#))
        #expect(table.entry(99) == nil)
    }

    @Test("past capacity, new routes share one entry per model label that keeps no route")
    func capacity() throws {
        let table = RouteTable(
            labels: BoundedLabelValues(maxModels: 2), catalogue: MetricCatalogue(version: "test"), defaultModel: nil, capacity: 2)
        let kept = table.slot(method: "POST", target: "/v2/models/a/infer")
        _ = table.slot(method: "POST", target: "/v2/models/b/infer")
        let late = table.slot(method: "POST", target: "/v2/models/a/versions/1/infer")
        let later = table.slot(method: "POST", target: "/v2/models/a/versions/2/infer")
        let other = table.slot(method: "POST", target: "/v2/models/c/infer")
        #expect(table.entry(kept.slot)?.route?.model == "a")
        #expect(late.slot == later.slot)
        #expect(late.entry.route == nil && late.entry.model == "a")
        #expect(other.entry.route == nil && other.entry.model == BoundedLabelValues.overflow)
        // A route kept before the table filled keeps its slot.
        #expect(table.slot(method: "POST", target: "/v2/models/a/infer").slot == kept.slot)
    }

    @Test("a route named past the kept size shares its label's entry, and a long path is not remembered")
    func longNames() throws {
        let catalogue = MetricCatalogue(version: "test")
        let table = RouteTable(labels: BoundedLabelValues(maxModels: 1), catalogue: catalogue, defaultModel: nil)
        let long = String(repeating: "m", count: RouteTable.keptBytes + 1)
        let first = table.slot(method: "POST", target: "/v2/models/\(long)/infer")
        #expect(first.entry.route == nil)
        let versioned = table.slot(method: "POST", target: "/v2/models/\(long)/versions/\(long)/infer")
        #expect(versioned.slot == first.slot)
        // A short name is kept as its own route.
        let short = table.slot(method: "POST", target: "/v2/models/iris/infer")
        #expect(short.entry.route?.model == "iris")
        // A path past the kept size is recognised each time, never remembered; a short one is.
        let remembered = table.rememberedPaths
        let longPath = "/v2/models/iris/infer/" + String(repeating: "x", count: 70_000)
        _ = table.slot(method: "POST", target: longPath)
        _ = table.slot(method: "POST", target: longPath)
        #expect(table.rememberedPaths == remembered)
        _ = table.slot(method: "POST", target: "/v2/models/iris/versions/1/infer")
        #expect(table.rememberedPaths == remembered + 1)
    }

    @Test("every path of a route, and every method but POST, finds the route's one slot, also past the table's memory of paths")
    func pathsOfOneRoute() {
        let table = RouteTable(labels: BoundedLabelValues(), catalogue: MetricCatalogue(version: "test"), defaultModel: nil, capacity: 1)
        let first = table.slot(method: "POST", target: "/v2/models/a/infer")
        // Escaped spellings of the same path: more than the four paths a one-route table remembers.
        let spellings = [
            "/v2/models/%61/infer", "/v2/%6Dodels/a/infer", "/%762/models/a/infer", "/v2/models/a/%69nfer", "/v2/model%73/a/infer",
            "/v2/models/a/infer?x=1",
        ]
        for _ in 0..<2 {
            for target in spellings {
                let found = table.slot(method: "POST", target: target)
                #expect(found.slot == first.slot, "\(target)")
                #expect(found.entry.route?.model == "a")
            }
        }
        let health = table.slot(method: "GET", target: "/v2/models/a/infer")
        #expect(health.slot != first.slot)
        #expect(table.slot(method: "PUT", target: "/anything").slot == health.slot)
    }
}
