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

    @Test(arguments: [String(repeating: "m", count: 129), "bad\nname", "tab\tname"])
    func unfitNamesBecomeOther(_ name: String) {
        #expect(BoundedLabelValues().model(name) == "other")
    }
}
