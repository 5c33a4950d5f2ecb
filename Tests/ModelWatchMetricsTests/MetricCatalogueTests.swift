import ModelWatchMetrics
import Testing

@Suite struct MetricCatalogueTests {
    private func text(_ catalogue: MetricCatalogue) -> String {
        String(decoding: catalogue.exposition(), as: UTF8.self)
    }

    @Test("every family has help text and a type, and histograms use seconds from sub-millisecond up")
    func familiesAreDescribed() {
        let catalogue = MetricCatalogue(version: "1.2.3")
        let labels = ExchangeLabels(model: "m", version: "1", protocol: "v2", endpoint: "infer")
        catalogue.record(
            ExchangeMeasurement(
                labels: labels, code: "200", duration: .microseconds(800), upstream: .microseconds(700), requestBytes: 10, responseBytes: 20
            ))
        catalogue.recordPredictions(4, model: "m", version: "1")
        catalogue.recordTokens(prompt: 3, completion: 0, model: "m")
        catalogue.recordTokenTiming(timeToFirstToken: .milliseconds(30), interTokenGaps: [.milliseconds(5)], model: "m")
        catalogue.recordDecodeFailure(reason: "invalid_json", protocol: "v2", model: "m")
        catalogue.recordUpstreamError(kind: "timeout", model: "m")
        let exposition = self.text(catalogue)
        let families = exposition.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(families.count >= 20)
        for family in families {
            #expect(exposition.contains("# HELP \(family) "), "\(family)")
        }
        #expect(
            exposition.contains(
                #"modelwatch_request_duration_seconds_bucket{model="m",version="1",protocol="v2",endpoint="infer",le="0.001"} 1"#))
        #expect(
            exposition.contains(
                #"modelwatch_request_duration_seconds_bucket{model="m",version="1",protocol="v2",endpoint="infer",le="0.0005"} 0"#))
        #expect(exposition.contains(#"modelwatch_build_info{version="1.2.3"} 1"#))
        // A zero count adds nothing: no completion series appears for it.
        #expect(!exposition.contains(#"kind="completion""#))
        #expect(exposition.contains(#"modelwatch_llm_tokens_total{model="m",kind="prompt"} 3"#))
    }

    @Test("in-flight gauges go up and down per model")
    func inFlight() {
        let catalogue = MetricCatalogue(version: "t")
        let a = catalogue.inFlightGauge(model: "a")
        let b = catalogue.inFlightGauge(model: "b")
        a.raise()
        b.raise()
        catalogue.inFlightGauge(model: "a").raise()
        a.lower()
        b.lower()
        let exposition = self.text(catalogue)
        #expect(exposition.contains(#"modelwatch_requests_in_flight{model="a"} 1"#))
        #expect(exposition.contains(#"modelwatch_requests_in_flight{model="b"} 0"#))
    }

    @Test("process metrics come from /proc")
    func processMetrics() {
        let exposition = self.text(MetricCatalogue(version: "t"))
        let resident = exposition.split(separator: "\n").first { $0.hasPrefix("process_resident_memory_bytes ") }
        #expect(resident.flatMap { Double($0.split(separator: " ")[1]) }.map { $0 > 1_000_000 } == true)
        #expect(exposition.contains("process_start_time_seconds "))
        #expect(exposition.contains("process_max_fds "))
    }

    @Test("kept recorders count into the series record and recordPredictions use")
    func keptRecorders() {
        let catalogue = MetricCatalogue(version: "test")
        let labels = ExchangeLabels(model: "m", version: "1", protocol: "v2", endpoint: "infer")
        let measurement = ExchangeMeasurement(
            labels: labels, code: "200", duration: .microseconds(800), upstream: .microseconds(700), requestBytes: 10, responseBytes: 20)
        let recorder = catalogue.exchangeRecorder(labels: labels, code: "200", source: .backend)
        let predictions = catalogue.predictionRecorder(model: "m", version: "1")
        recorder.record(measurement)
        catalogue.record(measurement)
        predictions.record(rows: 3)
        catalogue.recordPredictions(2, model: "m", version: "1")
        let exposition = self.text(catalogue)
        let requests = #"modelwatch_requests_total{model="m",version="1",protocol="v2",endpoint="infer",code="200",source="backend"}"#
        #expect(exposition.contains(requests + " 2"))
        #expect(exposition.contains(#"modelwatch_request_duration_seconds_count{model="m",version="1",protocol="v2",endpoint="infer"} 2"#))
        #expect(exposition.contains(#"modelwatch_overhead_seconds_count{model="m",version="1",protocol="v2",endpoint="infer"} 2"#))
        #expect(exposition.contains(#"modelwatch_predictions_total{model="m",version="1"} 5"#))
        #expect(exposition.contains(#"modelwatch_batch_size_count{model="m"} 2"#))
    }
}

@Suite("Exposition read back for the store")
struct ExposedSampleTests {
    @Test("every line of the catalogue's own exposition reads back with its labels and value")
    func catalogueRoundTrip() {
        let catalogue = MetricCatalogue(version: "1.2.3")
        catalogue.recordPredictions(3, model: "iris \"v\\2\"\n", version: "7")
        let text = String(decoding: catalogue.exposition(), as: UTF8.self)
        let samples = ExposedSample.parse(catalogue.exposition())
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(samples.count == lines.count)
        let predictions = samples.first { $0.name == "modelwatch_predictions_total" }
        #expect(predictions?.value == 3)
        #expect(predictions?.labels.first { $0.name == "model" }?.value == "iris \"v\\2\"\n")
        let infinite = samples.first { $0.name == "modelwatch_batch_size_bucket" && $0.labels.contains { $0 == ("le", "+Inf") } }
        #expect(infinite?.value == 1)
        #expect(samples.contains { $0.name == "modelwatch_build_info" && $0.labels.count == 1 && $0.value == 1 })
    }

    @Test("special values, timestamps and broken lines")
    func oddLines() {
        let text = """
            # HELP a A.
            a_total 1.5e3
            b{x="1"} +Inf 1767225600000
            c{x="1",y=""} NaN
            d -Inf
            broken{x="1" 2
            nothing
            """
        let samples = ExposedSample.parse(Array(text.utf8))
        #expect(samples.map(\.name) == ["a_total", "b", "c", "d"])
        #expect(samples[0].value == 1500)
        #expect(samples[1].value == .infinity)
        #expect(samples[2].value.isNaN && samples[2].labels.count == 2)
        #expect(samples[3].value == -.infinity)
    }
}
