import Testing

@testable import ModelWatchProtocols

@Suite("Serving route recognition")
struct ServingRouteTests {
    @Test(
        "prediction requests of every protocol are recognised with model, version and endpoint",
        arguments: [
            ("/v1/models/iris:predict", ServingRoute(protocol: .tfServing, model: "iris", endpoint: "predict")),
            ("/v1/models/iris/versions/3:classify", ServingRoute(protocol: .tfServing, model: "iris", version: "3", endpoint: "classify")),
            (
                "/v1/models/iris/labels/canary:regress",
                ServingRoute(protocol: .tfServing, model: "iris", version: "canary", endpoint: "regress")
            ),
            ("/v2/models/iris/infer", ServingRoute(protocol: .openInference, model: "iris", endpoint: "infer")),
            (
                "/v2/models/iris/versions/v1/infer?trace=1",
                ServingRoute(protocol: .openInference, model: "iris", version: "v1", endpoint: "infer")
            ),
            ("/v1/chat/completions", ServingRoute(protocol: .openAI, endpoint: "chat_completions")),
            ("/v1/completions", ServingRoute(protocol: .openAI, endpoint: "completions")),
            ("/v1/embeddings", ServingRoute(protocol: .openAI, endpoint: "embeddings")),
            ("/predictions/resnet", ServingRoute(protocol: .torchServe, model: "resnet", endpoint: "predictions")),
            ("/predictions/resnet/2.0", ServingRoute(protocol: .torchServe, model: "resnet", version: "2.0", endpoint: "predictions")),
            ("/invocations", ServingRoute(protocol: .mlflow, endpoint: "invocations")),
            ("/v2/models/my%20model/infer", ServingRoute(protocol: .openInference, model: "my model", endpoint: "infer")),
        ]
    )
    func predictions(target: String, expected: ServingRoute) {
        #expect(ServingRoute.recognize(method: "POST", target: target) == expected)
    }

    @Test(
        "health, metadata, unknown and malformed paths are generic, never predictions",
        arguments: [
            ("GET", "/v2/models/iris/infer"), ("GET", "/v1/models/iris"), ("POST", "/v2/health/ready"),
            ("POST", "/v1/models/iris:explain"), ("POST", "/v1/models/:predict"), ("POST", "/v2/models//infer"),
            ("POST", "/v2/models/iris/versions/infer"), ("POST", "/predictions/"), ("POST", "/invocations/extra"),
            ("POST", "/"), ("POST", "/v1/models/a/b/c:predict"),
        ]
    )
    func others(method: String, target: String) {
        #expect(ServingRoute.recognize(method: method, target: target) == ServingRoute(protocol: .generic, endpoint: "other"))
    }
}
