/// Decodes OpenAI-compatible bodies (vLLM, TGI, llama.cpp, OpenAI itself): chat completions,
/// completions and embeddings, answered as one JSON document or as a server-sent event stream.
///
/// Requests give the model, how many prompts or inputs (the batch) and `n` choices per prompt.
/// Answers give `usage` and, for embeddings, the vectors. A stream's events are read for content
/// (`choices[].delta.content`, `.reasoning_content`, `.tool_calls`, or `choices[].text`), for the
/// `usage` some servers put in the last chunk, and for the `[DONE]` terminator.
public struct OpenAICodec: Sendable {
    /// What one streamed answer contained.
    public struct Stream: Sendable, Equatable {
        public var model: String?
        /// `usage` from the chunk that carried it, when the server sent one.
        public var usage: TokenUsage?
        /// Events that carried generated content; vLLM and OpenAI send one per token.
        public var contentEvents: Int
        /// The offsets where content-bearing events ended, to time them against chunk arrivals.
        public var contentEventEnds: [Int]
        /// Set when the stream stopped before `[DONE]` or mid-event.
        public var truncation: PayloadDecodeFailure?
    }

    private let reader: JSONReader

    public init(reader: JSONReader = JSONReader(allowNonFiniteLiterals: false)) {
        self.reader = reader
    }

    /// Decodes a request: the model it asks for, and the batch (prompts or inputs, times `n`).
    public func decodeRequest(_ body: [UInt8], endpoint: String) throws(PayloadDecodeFailure) -> DecodedPayload {
        let document = try NestedArray.document(body, reader: self.reader)
        let choices = max(1, Int(document["n"]?.numberValue ?? 1))
        var payload = DecodedPayload(model: document["model"]?.stringValue, tensors: [], batchSize: choices)
        switch endpoint {
        case "chat_completions":
            guard document["messages"]?.elements != nil else {
                throw PayloadDecodeFailure(.missingField, "no \"messages\" list")
            }
        case "completions":
            guard let prompt = document["prompt"] else { throw PayloadDecodeFailure(.missingField, "no \"prompt\"") }
            payload.batchSize = Self.promptCount(prompt) * choices
        case "embeddings":
            guard let input = document["input"] else { throw PayloadDecodeFailure(.missingField, "no \"input\"") }
            payload.batchSize = Self.promptCount(input)
        default:
            break
        }
        return payload
    }

    /// Whether the request asked for a streamed answer.
    public func requestsStream(_ body: [UInt8]) -> Bool {
        (try? NestedArray.document(body, reader: self.reader))?["stream"] == .bool(true)
    }

    /// Decodes a whole-document answer: model, usage, and embeddings as an `embedding` tensor.
    public func decodeResponse(_ body: [UInt8]) throws(PayloadDecodeFailure) -> (payload: DecodedPayload, usage: TokenUsage?) {
        let document = try NestedArray.document(body, reader: self.reader)
        var payload = DecodedPayload(model: document["model"]?.stringValue, tensors: [], batchSize: nil)
        if let choices = document["choices"]?.elements {
            payload.batchSize = choices.count
        }
        if let data = document["data"]?.elements {
            var vectors: [JSONValue] = []
            for (index, item) in data.enumerated() {
                guard let vector = item["embedding"] else { throw PayloadDecodeFailure(.missingField, "data[\(index)].embedding") }
                vectors.append(vector)
            }
            payload.batchSize = data.count
            if !vectors.isEmpty, vectors.allSatisfy({ if case .numbers = $0 { true } else { false } }) {
                let (datatype, shape, values) = try NestedArray.flatten(.array(vectors), at: "data")
                payload.tensors = [Tensor(name: "embedding", datatype: datatype, shape: shape, values: values)]
            }
        }
        return (payload, Self.usage(document["usage"]))
    }

    /// Reads a streamed answer; whatever arrived is reported even when the stream was cut short.
    public func decodeStream(_ body: [UInt8]) -> Stream {
        let events = ServerSentEvents(body)
        var stream = Stream(model: nil, usage: nil, contentEvents: 0, contentEventEnds: [], truncation: nil)
        var done = false
        for event in events.events {
            if event.data == "[DONE]" {
                done = true
                continue
            }
            guard let chunk = try? self.reader.parse(Array(event.data.utf8)) else { continue }
            if stream.model == nil { stream.model = chunk["model"]?.stringValue }
            if let usage = Self.usage(chunk["usage"]) { stream.usage = usage }
            if Self.carriesContent(chunk) {
                stream.contentEvents += 1
                stream.contentEventEnds.append(event.endOffset)
            }
        }
        if events.hasPartialEvent {
            stream.truncation = PayloadDecodeFailure(.truncatedStream, "the stream stopped in the middle of an event")
        } else if !done {
            stream.truncation = PayloadDecodeFailure(.truncatedStream, "the stream ended without [DONE]")
        }
        return stream
    }

    /// One prompt (a string or a list of token ids) or a list of them.
    private static func promptCount(_ prompt: JSONValue) -> Int {
        switch prompt {
        case .string, .numbers: return 1
        case .array(let items): return max(1, items.count)
        default: return 1
        }
    }

    private static func usage(_ value: JSONValue?) -> TokenUsage? {
        guard let value, case .object = value else { return nil }
        let prompt = value["prompt_tokens"]?.numberValue.map { Int($0) }
        let completion = value["completion_tokens"]?.numberValue.map { Int($0) }
        guard prompt != nil || completion != nil else { return nil }
        return TokenUsage(prompt: prompt, completion: completion)
    }

    private static func carriesContent(_ chunk: JSONValue) -> Bool {
        guard let choices = chunk["choices"]?.elements else { return false }
        return choices.contains { choice in
            if let text = choice["text"]?.stringValue, !text.isEmpty { return true }
            guard let delta = choice["delta"] else { return false }
            for field in ["content", "reasoning_content"] {
                if let text = delta[field]?.stringValue, !text.isEmpty { return true }
            }
            if let calls = delta["tool_calls"]?.elements, !calls.isEmpty { return true }
            return false
        }
    }
}
