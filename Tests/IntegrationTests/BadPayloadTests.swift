import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Bodies no decoder can make sense of: each is proxied byte for byte, counted under its reason,
/// and the sidecar goes on serving.
@Suite("Bad payloads", .serialized, .timeLimit(.minutes(5)))
struct BadPayloadTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let path: String
        let body: String
        var headers: [(String, String)] = []
        /// `nil`: the body is legal and nothing may be counted.
        let reason: String?
        let `protocol`: String

        var testDescription: String { self.name }
    }

    static let corpus: [Case] = [
        Case(name: "truncated JSON", path: "/v2/models/m/infer", body: #"{"inputs":[{"name":"#, reason: "invalid_json", protocol: "v2"),
        Case(name: "not an object", path: "/v2/models/m/infer", body: "[1,2,3]", reason: "not_an_object", protocol: "v2"),
        Case(name: "no inputs", path: "/v2/models/m/infer", body: #"{"id":"x"}"#, reason: "missing_field", protocol: "v2"),
        Case(
            name: "data shorter than its shape", path: "/v2/models/m/infer",
            body: #"{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[1,2,3,4,5]}]}"#, reason: "shape_mismatch", protocol: "v2"
        ),
        Case(
            name: "unknown datatype", path: "/v2/models/m/infer",
            body: #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP128","data":[1]}]}"#, reason: "unknown_datatype", protocol: "v2"),
        Case(
            name: "negative dimension", path: "/v2/models/m/infer",
            body: #"{"inputs":[{"name":"x","shape":[-1,2],"datatype":"FP32","data":[1,2]}]}"#, reason: "invalid_shape", protocol: "v2"),
        Case(
            name: "NaN where OIP JSON has none", path: "/v2/models/m/infer",
            body: #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[NaN]}]}"#, reason: "invalid_json", protocol: "v2"),
        Case(
            name: "binary header longer than the body", path: "/v2/models/m/infer",
            body: #"{"inputs":[]}"#, headers: [("inference-header-content-length", "9999")], reason: "invalid_binary_header", protocol: "v2"
        ),
        Case(
            name: "ragged rows", path: "/v1/models/m:predict", body: #"{"instances":[[1,2],[3]]}"#, reason: "shape_mismatch",
            protocol: "tfserving"),
        Case(
            name: "mixed types in a row", path: "/v1/models/m:predict", body: #"{"instances":[[1,"a"]]}"#, reason: "wrong_type",
            protocol: "tfserving"),
        Case(
            name: "TF Serving's NaN and Infinity are legal", path: "/v1/models/m:predict",
            body: #"{"instances":[[NaN, Infinity, -Infinity, 1.5]]}"#, reason: nil, protocol: "tfserving"),
        Case(
            name: "embeddings without input", path: "/v1/embeddings", body: #"{"model":"m"}"#, reason: "missing_field", protocol: "openai"),
        Case(
            name: "nesting deeper than the reader allows", path: "/invocations",
            body: #"{"instances":"# + String(repeating: "[", count: 100_000), reason: "invalid_json", protocol: "mlflow"),
        Case(
            name: "not JSON at all", path: "/invocations", body: "sepal_length=5.1&sepal_width=3.5", reason: "invalid_json",
            protocol: "mlflow"),
    ]

    @Test("each bad body is proxied unchanged and counted under its reason", arguments: Self.corpus)
    func corpusCase(_ item: Case) async throws {
        try await withSidecar { backend, sidecar in
            // The backend refuses the request (422), so only the request side is decoded.
            var headers: HTTPHeaders = ["content-type": "application/json", "x-echo-status": "422"]
            for (name, value) in item.headers { headers.add(name: name, value: value) }
            let response = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: item.path, headers: headers, body: ByteBuffer(string: item.body))
            #expect(response.status == 422)
            #expect(response.body == ByteBuffer(string: item.body), "the backend got and answered exactly the bytes sent")
            #expect(backend.requests.last?.body == ByteBuffer(string: item.body))

            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 1 }
            let failures = scrape.value("modelwatch_payload_decode_failures_total")
            if let reason = item.reason {
                #expect(failures == 1, "\(scrape)")
                #expect(
                    scrape.value("modelwatch_payload_decode_failures_total", ["reason": reason, "protocol": item.protocol]) == 1,
                    "\(scrape)")
            } else {
                #expect(failures == 0, "\(scrape)")
            }
            let good = try await TestClient.send(port: sidecar.dataPort, path: "/bytes/10")
            #expect(good.status == 200)
        }
    }

    @Test("a 100 MB array is proxied whole and counted as too large to decode")
    func hugeArray() async throws {
        try await withSidecar(server: ["max_body_size": "128MiB"]) { backend, sidecar in
            var body = ByteBuffer(string: #"{"instances":["#)
            let row = ByteBuffer(string: "[1.25,2.5,3.75,4.5],")
            while body.readableBytes < 100_000_000 { body.writeImmutableBuffer(row) }
            body.writeString("[0,0,0,0]]}")
            let response = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v1/models/big:predict", headers: ["content-type": "application/json"],
                body: body)
            #expect(response.status == 200)
            #expect(response.body.readableBytes == body.readableBytes)
            #expect(response.body == body)
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 1 }
            // Both sides were too large to keep: the echo answered the same 100 MB.
            #expect(scrape.value("modelwatch_payload_decode_failures_total", ["model": "big", "reason": "too_large"]) == 2, "\(scrape)")
            #expect(scrape.value("modelwatch_request_size_bytes_sum", ["model": "big"]) == Double(body.readableBytes))
            #expect(scrape.value("process_resident_memory_bytes") < 600_000_000, "the sidecar did not keep copies of the body")
        }
    }
}
