import Foundation
import NIOCore
import NIOHTTP1

/// How an OpenAI-compatible server (vLLM, the OpenAI API) answers completions, with fixed tokens
/// and timing so tests know what the sidecar should measure: no LLM can run on the test machine.
///
/// Streamed answers start with a role-only chunk (no content, as OpenAI sends it), then one chunk
/// per token `interTokenDelay` apart after `firstTokenDelay`, then a usage chunk when the request
/// asked for `stream_options.include_usage`, then `[DONE]`, unless `x-test-truncate` is set.
enum LanguageModelReplies {
    static let tokens = ["Hello", " there", ",", " friend", "!"]
    static let promptTokens = 7
    static let firstTokenDelay = Duration.milliseconds(150)
    static let interTokenDelay = Duration.milliseconds(40)

    static func respond(
        to head: HTTPRequestHead,
        body: ByteBuffer,
        chat: Bool,
        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        let request = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        let model = request["model"] as? String ?? "unnamed"
        let usage =
            #"{"prompt_tokens":\#(Self.promptTokens),"completion_tokens":\#(Self.tokens.count),"total_tokens":\#(Self.promptTokens + Self.tokens.count)}"#
        guard request["stream"] as? Bool == true else {
            let text = Self.tokens.joined()
            let choice =
                chat
                ? #"{"index":0,"message":{"role":"assistant","content":"\#(text)"},"finish_reason":"stop"}"#
                : #"{"index":0,"text":"\#(text)","finish_reason":"stop"}"#
            let json =
                #"{"id":"cmpl-1","object":"\#(chat ? "chat.completion" : "text_completion")","model":"\#(model)","choices":[\#(choice)],"usage":\#(usage)}"#
            let headers: HTTPHeaders = ["content-type": "application/json", "content-length": "\(json.utf8.count)"]
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: json))))
            try await outbound.write(.end(nil))
            return
        }
        try await outbound.write(
            .head(
                HTTPResponseHead(
                    version: .http1_1, status: .ok, headers: ["content-type": "text/event-stream", "cache-control": "no-cache"]))
        )
        func send(_ data: String) async throws {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: "data: \(data)\n\n"))))
        }
        let object = chat ? "chat.completion.chunk" : "text_completion"
        if chat {
            try await send(
                #"{"id":"c1","object":"\#(object)","model":"\#(model)","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#)
        }
        try await Task.sleep(for: Self.firstTokenDelay)
        for (index, token) in Self.tokens.enumerated() {
            if index > 0 { try await Task.sleep(for: Self.interTokenDelay) }
            let choice = chat ? #"{"index":0,"delta":{"content":"\#(token)"}}"# : #"{"index":0,"text":"\#(token)"}"#
            try await send(#"{"id":"c1","object":"\#(object)","model":"\#(model)","choices":[\#(choice)]}"#)
        }
        let options = request["stream_options"] as? [String: Any]
        if options?["include_usage"] as? Bool == true {
            try await send(#"{"id":"c1","object":"\#(object)","model":"\#(model)","choices":[],"usage":\#(usage)}"#)
        }
        if head.headers.first(name: "x-test-truncate") == nil {
            try await send("[DONE]")
        }
        try await outbound.write(.end(nil))
    }
}
