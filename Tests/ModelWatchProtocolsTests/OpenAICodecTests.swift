import Testing

@testable import ModelWatchProtocols

@Suite("OpenAI-compatible codec")
struct OpenAICodecTests {
    let codec = OpenAICodec()

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("chat request: the model asked for and n choices as the batch")
    func chatRequest() throws {
        let body =
            #"{"model":"meta-llama/Llama-3.1-8B-Instruct","n":2,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}"#
        let payload = try self.codec.decodeRequest(self.bytes(body), endpoint: "chat_completions")
        #expect(payload.model == "meta-llama/Llama-3.1-8B-Instruct")
        #expect(payload.batchSize == 2)
    }

    @Test("completions request: prompts times choices; token-id prompts count as one prompt each")
    func completionsRequest() throws {
        #expect(
            try self.codec.decodeRequest(self.bytes(#"{"model":"m","prompt":["a","b","c"],"n":2}"#), endpoint: "completions").batchSize == 6
        )
        #expect(try self.codec.decodeRequest(self.bytes(#"{"model":"m","prompt":[1,2,3]}"#), endpoint: "completions").batchSize == 1)
        #expect(try self.codec.decodeRequest(self.bytes(#"{"model":"m","prompt":[[1,2],[3]]}"#), endpoint: "completions").batchSize == 2)
    }

    @Test("embeddings: inputs are the batch; the answer's vectors become one tensor")
    func embeddings() throws {
        let request = try self.codec.decodeRequest(self.bytes(#"{"model":"bge","input":["x","y"]}"#), endpoint: "embeddings")
        #expect(request.batchSize == 2)
        let answer =
            #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2,0.3]},{"object":"embedding","index":1,"embedding":[0.4,0.5,0.6]}],"model":"bge","usage":{"prompt_tokens":4,"total_tokens":4}}"#
        let (payload, usage) = try self.codec.decodeResponse(self.bytes(answer))
        #expect(
            payload.tensors == [
                Tensor(name: "embedding", datatype: "FP64", shape: [2, 3], values: .numbers([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]))
            ])
        #expect(payload.batchSize == 2)
        #expect(usage == TokenUsage(prompt: 4, completion: nil))
    }

    @Test("a vLLM chat answer: model and usage")
    func chatAnswer() throws {
        let answer =
            #"{"id":"chatcmpl-9f","object":"chat.completion","created":1732000000,"model":"qwen2.5","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!","tool_calls":[]},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":17,"total_tokens":42,"completion_tokens":25,"prompt_tokens_details":null},"prompt_logprobs":null}"#
        let (payload, usage) = try self.codec.decodeResponse(self.bytes(answer))
        #expect(payload.model == "qwen2.5")
        #expect(payload.batchSize == 1)
        #expect(usage == TokenUsage(prompt: 17, completion: 25))
    }

    @Test("a stream: role-only and empty chunks carry no content, usage comes from the last chunk")
    func stream() {
        let body = [
            #"data: {"id":"c","object":"chat.completion.chunk","model":"qwen2.5","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
            "",
            ": keep-alive comment",
            "",
            #"data: {"id":"c","object":"chat.completion.chunk","model":"qwen2.5","choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
            "",
            #"data: {"id":"c","object":"chat.completion.chunk","model":"qwen2.5","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#,
            "",
            #"data: {"id":"c","object":"chat.completion.chunk","model":"qwen2.5","choices":[{"index":0,"delta":{"tool_calls":[{"index":0}]}}]}"#,
            "",
            #"data: {"id":"c","object":"chat.completion.chunk","model":"qwen2.5","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#,
            "",
            "data: [DONE]",
            "", "",
        ].joined(separator: "\r\n")
        let stream = self.codec.decodeStream(self.bytes(body))
        #expect(stream.model == "qwen2.5")
        #expect(stream.contentEvents == 3)
        #expect(stream.usage == TokenUsage(prompt: 9, completion: 3))
        #expect(stream.truncation == nil)
    }

    @Test("a stream that ends without [DONE], or in the middle of an event, is truncated")
    func truncated() {
        let chunk = #"data: {"choices":[{"index":0,"text":"a"}]}"#
        let noDone = self.codec.decodeStream(self.bytes(chunk + "\n\n"))
        #expect(noDone.truncation?.reason == .truncatedStream)
        #expect(noDone.contentEvents == 1)
        let midEvent = self.codec.decodeStream(self.bytes(chunk + "\n\n" + #"data: {"choices":[{"ind"#))
        #expect(midEvent.truncation?.reason == .truncatedStream)
        #expect(midEvent.contentEvents == 1)
        #expect(self.codec.decodeStream(self.bytes(chunk + "\n\ndata: [DONE]\n\n")).truncation == nil)
    }

    @Test("event-stream parsing: multi-line data, CR line ends, `data` without a space, other fields ignored")
    func eventStreamFormat() {
        let events = ServerSentEvents(Array("event: x\rdata:one\rdata: two\r\rid: 7\ndata\n\n".utf8))
        #expect(events.events.map(\.data) == ["one\ntwo", ""])
        #expect(events.events.first?.endOffset == 29)
        #expect(!events.hasPartialEvent)
    }
}

@Suite("Exchange decoder")
struct ExchangeDecoderTests {
    let decoder = ExchangeDecoder()

    private func exchange(
        _ target: String, method: String = "POST", request: String?, status: Int? = 200, response: String?,
        requestType: String? = "application/json", responseType: String? = "application/json",
        arrivals: [(endOffset: Int, elapsed: Duration)] = []
    ) -> ExchangePayloads {
        ExchangePayloads(
            method: method, target: target, requestContentType: requestType, requestBody: request.map { Array($0.utf8) }, status: status,
            responseContentType: responseType, responseBody: response.map { Array($0.utf8) }, arrivals: arrivals)
    }

    @Test("OIP: model from the path, version from the answer, rows from the request")
    func openInference() {
        let decoded = self.decoder.decode(
            self.exchange(
                "/v2/models/iris/infer",
                request: #"{"inputs":[{"name":"x","shape":[3,4],"datatype":"FP32","data":[1,2,3,4,5,6,7,8,9,10,11,12]}]}"#,
                response:
                    #"{"model_name":"iris","model_version":"v1","outputs":[{"name":"y","shape":[3],"datatype":"INT64","data":[0,1,2]}]}"#))
        #expect(decoded.model == "iris")
        #expect(decoded.version == "v1")
        #expect(decoded.predictions == 3)
        #expect(decoded.failures.isEmpty)
        #expect(decoded.response?.tensors.first?.name == "y")
    }

    @Test("a refused request is decoded (its failures count) but its answer is not, and no rows are counted")
    func refused() {
        let decoded = self.decoder.decode(self.exchange("/v1/models/m:predict", request: "{", status: 400, response: #"{"error":"bad"}"#))
        #expect(decoded.predictions == nil)
        #expect(decoded.failures.map(\.failure.reason) == [.invalidJSON])
        #expect(decoded.failures.map(\.side) == [.request])
    }

    @Test("bodies that were not kept are reported as too large, not guessed at")
    func notKept() {
        let decoded = self.decoder.decode(self.exchange("/v2/models/m/infer", request: nil, response: nil))
        #expect(decoded.failures.map(\.failure.reason) == [.tooLarge, .tooLarge])
    }

    @Test("generic and TorchServe calls are decoded only when they carry JSON")
    func genericContentTypes() {
        let image = self.decoder.decode(
            self.exchange("/predictions/resnet", request: "\u{1}PNG", response: "[1]", requestType: "image/png"))
        #expect(image.failures.isEmpty)
        #expect(image.request == nil)
        #expect(image.model == "resnet")
        let rows = self.decoder.decode(self.exchange("/predictions/resnet/2", request: "[[1,2],[3,4]]", response: "[0.5, 0.25]"))
        #expect(rows.version == "2")
        #expect(rows.predictions == 2)
        let health = self.decoder.decode(self.exchange("/ping", method: "GET", request: "", response: "{}"))
        #expect(health.route.endpoint == "other")
        #expect(health.predictions == nil)
    }

    @Test("a streamed answer: each content event timed by the chunk that completed it")
    func streamTiming() {
        let events = [
            #"data: {"model":"m","choices":[{"delta":{"role":"assistant"}}]}"#, #"data: {"choices":[{"delta":{"content":"a"}}]}"#,
            #"data: {"choices":[{"delta":{"content":"b"}}]}"#, #"data: {"choices":[{"delta":{"content":"c"}}]}"#, "data: [DONE]",
        ].map { $0 + "\n\n" }
        var ends: [Int] = []
        var offset = 0
        for event in events {
            offset += event.utf8.count
            ends.append(offset)
        }
        // Chunks: role event alone; "a" split over two chunks; "b" and "c" and [DONE] together.
        let arrivals: [(endOffset: Int, elapsed: Duration)] = [
            (ends[0], .milliseconds(10)), (ends[1] - 5, .milliseconds(90)), (ends[1], .milliseconds(100)), (ends[4], .milliseconds(130)),
        ]
        let decoded = self.decoder.decode(
            self.exchange(
                "/v1/chat/completions", request: #"{"model":"m","stream":true,"messages":[]}"#, response: events.joined(),
                responseType: "text/event-stream", arrivals: arrivals))
        #expect(decoded.tokens == TokenUsage(prompt: nil, completion: 3))
        #expect(decoded.tokenTiming == TokenTiming(timeToFirstToken: .milliseconds(100), interTokenGaps: [.milliseconds(30), .zero]))
        #expect(decoded.failures.isEmpty)
        #expect(decoded.model == "m")
    }
}

@Suite("Generic JSON codec")
struct GenericCodecTests {
    let codec = GenericCodec()

    @Test("a list of records becomes one tensor per field")
    func records() throws {
        let payload = try self.codec.decode(Array(#"[{"age":31,"plan":"pro"},{"age":45,"plan":"free"}]"#.utf8), field: "input")
        #expect(payload.batchSize == 2)
        #expect(
            payload.tensors == [
                Tensor(name: "age", datatype: "FP64", shape: [2], values: .numbers([31, 45])),
                Tensor(name: "plan", datatype: "BYTES", shape: [2], values: .strings(["pro", "free"])),
            ])
    }

    @Test("an object: members holding numbers or strings are tensors, the rest is skipped")
    func object() throws {
        let payload = try self.codec.decode(Array(#"{"data":[[1,2,3]],"meta":{"trace":"x"},"threshold":0.5}"#.utf8), field: "input")
        #expect(payload.tensors.map(\.name) == ["data", "threshold"])
        #expect(payload.batchSize == 1)
    }

    @Test("a body that is not JSON is a failure; JSON with nothing tensor-like is not")
    func failures() throws {
        #expect(throws: PayloadDecodeFailure.self) { try self.codec.decode(Array("hello".utf8), field: "input") }
        #expect(try self.codec.decode(Array(#""just text""#.utf8), field: "input").tensors.isEmpty)
    }
}
