import ModelWatchMetrics
import Testing

@Suite struct BoundedLabelValuesTests {
    @Test func configuredModelsAlwaysKeepTheirNames() {
        let labels = BoundedLabelValues(knownModels: ["iris", "churn"], maxModels: 1)
        #expect(labels.model("first-seen") == "first-seen")
        #expect(labels.model("second-seen") == "other")
        #expect(labels.model("churn") == "churn")
        #expect(labels.model("iris") == "iris")
        #expect(labels.model("first-seen") == "first-seen")
    }

    @Test func versionsAreBoundedPerModel() {
        let labels = BoundedLabelValues(maxModels: 4, maxVersions: 2)
        #expect(labels.version("1", of: "a") == "1")
        #expect(labels.version("2", of: "a") == "2")
        #expect(labels.version("3", of: "a") == "other")
        #expect(labels.version("3", of: "b") == "3")
        #expect(labels.version("", of: "a") == "")
        #expect(labels.version("1", of: "other") == "other")
    }

    @Test("an unanswered request on an unversioned route counts under the version that last answered it")
    func unversionedRouteVersion() {
        let labels = BoundedLabelValues(maxModels: 4, maxVersions: 2)
        // Before any answer named a version there is nothing to go by.
        #expect(labels.unversionedRouteVersion(answered: nil, of: "iris") == "")
        #expect(labels.unversionedRouteVersion(answered: "v1", of: "iris") == "v1")
        #expect(labels.unversionedRouteVersion(answered: nil, of: "iris") == "v1")
        #expect(labels.unversionedRouteVersion(answered: "", of: "iris") == "v1")
        #expect(labels.unversionedRouteVersion(answered: nil, of: "churn") == "")
        // A new version behind the same route takes over; the bound on versions still holds.
        #expect(labels.unversionedRouteVersion(answered: "v2", of: "iris") == "v2")
        #expect(labels.unversionedRouteVersion(answered: nil, of: "iris") == "v2")
        #expect(labels.unversionedRouteVersion(answered: "v3", of: "iris") == "other")
        #expect(labels.unversionedRouteVersion(answered: nil, of: "iris") == "other")
        // The same answer again, as nearly every exchange gives it, keeps its label; a version
        // over the bound is not admitted by answering twice.
        #expect(labels.unversionedRouteVersion(answered: "v3", of: "iris") == "other")
        #expect(labels.version("v3", of: "iris") == "other")
        #expect(labels.unversionedRouteVersion(answered: "v2", of: "iris") == "v2")
        #expect(labels.unversionedRouteVersion(answered: "v2", of: "iris") == "v2")
        #expect(labels.unversionedRouteVersion(answered: "other", of: "iris") == "other")
        #expect(labels.unversionedRouteVersion(answered: "other", of: "iris") == "other")
    }

    @Test(arguments: [String(repeating: "m", count: 129), "bad\nname", "tab\tname"])
    func unfitNamesBecomeOther(_ name: String) {
        #expect(BoundedLabelValues().model(name) == "other")
    }
}
