import ModelWatchMetrics
import Testing

@testable import ModelWatch

@Suite("Route series")
struct RouteSeriesTests {
    static let labels = ExchangeLabels(model: "iris", version: "v1", protocol: "v2", endpoint: "infer")

    static func measurement(code: String) -> ExchangeMeasurement {
        ExchangeMeasurement(labels: Self.labels, code: code, duration: .microseconds(180), upstream: nil, requestBytes: 1, responseBytes: 2)
    }

    static func text(_ catalogue: MetricCatalogue) -> String {
        String(decoding: catalogue.exposition(), as: UTF8.self)
    }

    @Test("exchanges of one kind count into one series; another status or source gets its own")
    func kinds() {
        let catalogue = MetricCatalogue(version: "test")
        let series = RouteSeries()
        for (status, source) in [(200, AnswerSource.backend), (200, .backend), (503, .backend), (503, .sidecar)] {
            let kind = RouteSeries.Kind(model: "iris", version: "v1", status: status, source: source)
            series.exchangeRecorder(kind, labels: Self.labels, code: String(status), in: catalogue).record(
                Self.measurement(code: String(status)))
        }
        let text = Self.text(catalogue)
        let prefix = #"modelwatch_requests_total{model="iris",version="v1",protocol="v2",endpoint="infer","#
        #expect(text.contains(prefix + #"code="200",source="backend"} 2"#))
        #expect(text.contains(prefix + #"code="503",source="backend"} 1"#))
        #expect(text.contains(prefix + #"code="503",source="sidecar"} 1"#))
        #expect(text.contains(#"modelwatch_request_duration_seconds_count{model="iris",version="v1",protocol="v2",endpoint="infer"} 4"#))
    }

    @Test("past its capacity a route's further kinds are still counted, each into its own series")
    func pastCapacity() {
        let catalogue = MetricCatalogue(version: "test")
        let series = RouteSeries()
        let statuses = Array(200..<(200 + RouteSeries.capacity + 4))
        for _ in 0..<2 {
            for status in statuses {
                let kind = RouteSeries.Kind(model: "iris", version: "v1", status: status, source: .backend)
                series.exchangeRecorder(kind, labels: Self.labels, code: String(status), in: catalogue).record(
                    Self.measurement(code: String(status)))
            }
        }
        let text = Self.text(catalogue)
        for status in statuses {
            #expect(text.contains(#"endpoint="infer",code="\#(status)",source="backend"} 2"#))
        }
    }

    @Test("predictions are counted per model version")
    func predictions() {
        let catalogue = MetricCatalogue(version: "test")
        let series = RouteSeries()
        series.predictionRecorder(model: "iris", version: "v1", in: catalogue).record(rows: 2)
        series.predictionRecorder(model: "iris", version: "v1", in: catalogue).record(rows: 3)
        series.predictionRecorder(model: "iris", version: "v2", in: catalogue).record(rows: 1)
        let text = Self.text(catalogue)
        #expect(text.contains(#"modelwatch_predictions_total{model="iris",version="v1"} 5"#))
        #expect(text.contains(#"modelwatch_predictions_total{model="iris",version="v2"} 1"#))
        #expect(text.contains(#"modelwatch_batch_size_count{model="iris"} 3"#))
    }
}
