import ModelWatchProtocols

/// Decoding throughput per protocol for typical payloads: what the analysis pipeline can take on
/// one core. Prints MB/s and microseconds per exchange as a Markdown table.
///
/// Usage: `swift run -c release modelwatch-decode-bench [seconds per payload, default 1] [only payloads whose name contains this]`.
@main
struct DecodeBenchmark {
    struct Payload {
        let name: String
        let exchange: ExchangePayloads

        var bytes: Int { (self.exchange.requestBody?.count ?? 0) + (self.exchange.responseBody?.count ?? 0) }
    }

    static func main() {
        let seconds = CommandLine.arguments.dropFirst().first.flatMap(Double.init) ?? 1
        let filter = CommandLine.arguments.dropFirst(2).first
        let decoder = ExchangeDecoder()
        print("| payload | request + response bytes | µs per exchange | MB/s |")
        print("|---|---:|---:|---:|")
        for payload in Self.payloads() where filter.map(payload.name.contains) ?? true {
            // Warm up, then decode for the time asked.
            _ = decoder.decode(payload.exchange)
            let clock = ContinuousClock()
            let start = clock.now
            var count = 0
            var failures = 0
            while clock.now - start < .seconds(seconds) {
                for _ in 0..<8 {
                    failures += decoder.decode(payload.exchange).failures.count
                    count += 1
                }
            }
            let elapsed = (clock.now - start).seconds
            precondition(failures == 0, "\(payload.name) did not decode cleanly")
            let perExchange = elapsed / Double(count)
            let megabytes = Double(payload.bytes * count) / 1e6 / elapsed
            print("| \(payload.name) | \(payload.bytes) | \(Self.format(perExchange * 1e6)) | \(Self.format(megabytes)) |")
        }
    }

    static func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(Double(Int(value * 10)) / 10)
    }

    static func payloads() -> [Payload] {
        var generator = SplitMix(seed: 42)
        func numbers(_ count: Int) -> String {
            (0..<count).map { _ in String(Double(Int(generator.next() % 100_000)) / 1000) }.joined(separator: ",")
        }
        func rows(_ rows: Int, _ width: Int) -> String {
            (0..<rows).map { _ in "[" + numbers(width) + "]" }.joined(separator: ",")
        }
        func exchange(_ target: String, _ request: String, _ response: String, responseType: String = "application/json")
            -> ExchangePayloads
        {
            ExchangePayloads(
                method: "POST", target: target, requestContentType: "application/json", requestBody: Array(request.utf8), status: 200,
                responseContentType: responseType, responseBody: Array(response.utf8))
        }
        let oip = { (rows: Int, width: Int) in
            exchange(
                "/v2/models/m/infer",
                #"{"id":"b","inputs":[{"name":"input-0","shape":[\#(rows),\#(width)],"datatype":"FP32","data":[\#(numbers(rows * width))]}]}"#,
                #"{"model_name":"m","model_version":"1","outputs":[{"name":"predict","shape":[\#(rows)],"datatype":"INT64","data":[\#((0..<rows).map { String($0 % 3) }.joined(separator: ","))]}]}"#
            )
        }
        let tokens = (0..<200).map { index in
            #"data: {"id":"c","object":"chat.completion.chunk","model":"llama","choices":[{"index":0,"delta":{"content":"tok\#(index) "}}]}"#
                + "\n\n"
        }.joined()
        let records = (0..<100).map { _ in #"{"age":\#(generator.next() % 90),"income":\#(numbers(1)),"plan":"pro","score":\#(numbers(1))}"#
        }
        return [
            Payload(name: "OIP v2, 1×4 FP32 (iris)", exchange: oip(1, 4)),
            Payload(name: "OIP v2, 32×16 FP32", exchange: oip(32, 16)),
            Payload(name: "OIP v2, 64×784 FP32 (MNIST batch)", exchange: oip(64, 784)),
            Payload(
                name: "TF Serving rows, 32×16",
                exchange: exchange("/v1/models/m:predict", #"{"instances":[\#(rows(32, 16))]}"#, #"{"predictions":[\#(rows(32, 2))]}"#)),
            Payload(
                name: "TF Serving columnar, 2 named inputs × 256",
                exchange: exchange(
                    "/v1/models/m:predict", #"{"inputs":{"a":[\#(rows(256, 8))],"b":[\#(numbers(256))]}}"#,
                    #"{"outputs":[\#(numbers(256))]}"#)),
            Payload(
                name: "MLflow dataframe_split, 100×10",
                exchange: exchange(
                    "/invocations",
                    #"{"dataframe_split":{"columns":[\#((0..<10).map { "\"f\($0)\"" }.joined(separator: ","))],"data":[\#(rows(100, 10))]}}"#,
                    #"{"predictions":[\#(numbers(100))]}"#)),
            Payload(
                name: "generic records, 100 rows × 4 fields",
                exchange: exchange("/predictions/churn", "[" + records.joined(separator: ",") + "]", "[" + numbers(100) + "]")),
            Payload(
                name: "OpenAI chat, whole answer",
                exchange: exchange(
                    "/v1/chat/completions",
                    #"{"model":"llama","messages":[{"role":"system","content":"\#(String(repeating: "Be helpful. ", count: 40))"},{"role":"user","content":"Summarise the report."}]}"#,
                    #"{"id":"c","object":"chat.completion","model":"llama","choices":[{"index":0,"message":{"role":"assistant","content":"\#(String(repeating: "word ", count: 300))"},"finish_reason":"stop"}],"usage":{"prompt_tokens":180,"completion_tokens":300,"total_tokens":480}}"#
                )),
            Payload(
                name: "OpenAI chat, SSE stream of 200 tokens",
                exchange: exchange(
                    "/v1/chat/completions", #"{"model":"llama","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#,
                    tokens + "data: [DONE]\n\n", responseType: "text/event-stream")),
        ]
    }
}

/// A small deterministic generator, so every run decodes the same bytes.
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
