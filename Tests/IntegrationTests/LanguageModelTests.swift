import NIOCore
import NIOHTTP1
import Testing

/// An OpenAI-compatible backend streaming tokens: the sidecar passes the stream through chunk by
/// chunk and measures tokens, time to first token and the gaps between tokens.
@Suite("LLM traffic", .serialized, .timeLimit(.minutes(5)))
struct LanguageModelTests {
    static let json: HTTPHeaders = ["content-type": "application/json"]
    static let tokens = Double(LanguageModelReplies.tokens.count)

    @Test("a streamed chat completion: usage from the last chunk, TTFT and inter-token gaps")
    func streamedChat() async throws {
        try await withSidecar { _, sidecar in
            let body =
                #"{"model":"llama-3-8b","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#
            let response = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v1/chat/completions", headers: Self.json, body: ByteBuffer(string: body))
            #expect(response.status == 200)
            #expect(response.text.hasSuffix("data: [DONE]\n\n"))

            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 1 }
            let model = ["model": "llama-3-8b"]
            #expect(scrape.value("modelwatch_llm_tokens_total", model.merging(["kind": "prompt"]) { $1 }) == 7, "\(scrape)")
            #expect(scrape.value("modelwatch_llm_tokens_total", model.merging(["kind": "completion"]) { $1 }) == Self.tokens)
            #expect(scrape.value("modelwatch_llm_time_to_first_token_seconds_count", model) == 1)
            let ttft = scrape.value("modelwatch_llm_time_to_first_token_seconds_sum", model)
            // The backend waits 150 ms before the first token; the role-only chunk before it does not count.
            // The upper bounds only catch a clock counted from the wrong moment: a loaded machine
            // may stretch a 150 ms wait by seconds (5 s was seen), never to half a minute.
            #expect(ttft >= 0.15 && ttft < 30.0, "TTFT \(ttft)")
            #expect(scrape.value("modelwatch_llm_inter_token_seconds_count", model) == Self.tokens - 1)
            let gaps = scrape.value("modelwatch_llm_inter_token_seconds_sum", model)
            #expect(gaps > 0 && gaps < 30.0, "gaps \(gaps)")
            // The last token cannot reach the client before the backend sent it: 150 ms plus four
            // 40 ms gaps after the request. Single gaps, and even their sum, are not checked against
            // the spacing: on a busy machine a late first chunk shortens the sum while TTFT grows.
            #expect(ttft + gaps >= 0.15 + 0.04 * (Self.tokens - 1), "TTFT \(ttft) + gaps \(gaps)")
            #expect(
                scrape.value(
                    "modelwatch_requests_total",
                    ["model": "llama-3-8b", "protocol": "openai", "endpoint": "chat_completions", "code": "200"]) == 1)
            #expect(scrape.value("modelwatch_predictions_total", model) == 1)
            #expect(scrape.value("modelwatch_payload_decode_failures_total") == 0)
        }
    }

    @Test("a stream without usage counts one completion token per content chunk")
    func streamWithoutUsage() async throws {
        try await withSidecar { _, sidecar in
            let body = #"{"model":"phi","stream":true,"prompt":["a","b"]}"#
            let response = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v1/completions", headers: Self.json, body: ByteBuffer(string: body))
            #expect(response.status == 200)
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 1 }
            #expect(scrape.value("modelwatch_llm_tokens_total", ["model": "phi", "kind": "completion"]) == Self.tokens)
            #expect(scrape.value("modelwatch_llm_tokens_total", ["model": "phi", "kind": "prompt"]) == 0)
            #expect(scrape.value("modelwatch_predictions_total", ["model": "phi"]) == 2)
        }
    }

    @Test("a whole-document answer: tokens from usage, no streaming timings")
    func unstreamed() async throws {
        try await withSidecar { _, sidecar in
            let body = #"{"model":"mistral","messages":[{"role":"user","content":"hi"}]}"#
            let response = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v1/chat/completions", headers: Self.json, body: ByteBuffer(string: body))
            #expect(response.status == 200)
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 1 }
            #expect(scrape.value("modelwatch_llm_tokens_total", ["model": "mistral", "kind": "prompt"]) == 7)
            #expect(scrape.value("modelwatch_llm_tokens_total", ["model": "mistral", "kind": "completion"]) == Self.tokens)
            #expect(scrape.value("modelwatch_llm_time_to_first_token_seconds_count") == 0)
        }
    }

    @Test("a stream cut off before [DONE] is passed on as it came and counted as truncated")
    func truncatedStream() async throws {
        try await withSidecar { _, sidecar in
            var headers = Self.json
            headers.add(name: "x-test-truncate", value: "1")
            let body = #"{"model":"qwen","stream":true,"messages":[]}"#
            let response = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v1/chat/completions", headers: headers, body: ByteBuffer(string: body))
            #expect(response.status == 200)
            #expect(!response.text.contains("[DONE]"))
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 1 }
            #expect(
                scrape.value(
                    "modelwatch_payload_decode_failures_total", ["model": "qwen", "protocol": "openai", "reason": "truncated_stream"]) == 1)
            // What did arrive is still measured.
            #expect(scrape.value("modelwatch_llm_tokens_total", ["model": "qwen", "kind": "completion"]) == Self.tokens)
            #expect(scrape.value("modelwatch_llm_time_to_first_token_seconds_count", ["model": "qwen"]) == 1)
        }
    }
}
