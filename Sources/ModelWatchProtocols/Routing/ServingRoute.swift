/// The serving protocols ModelWatch understands, named as they appear in metric labels.
public enum ServingProtocol: String, Sendable, CaseIterable {
    /// TF Serving's REST API: `/v1/models/{model}[/versions/{v}|/labels/{l}]:{predict|classify|regress}`.
    case tfServing = "tfserving"
    /// Open Inference Protocol v2 (KServe, Triton, MLServer): `/v2/models/{model}[/versions/{v}]/infer`.
    case openInference = "v2"
    /// OpenAI-compatible servers (vLLM and others): `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`.
    case openAI = "openai"
    /// TorchServe's inference API: `/predictions/{model}[/{version}]`.
    case torchServe = "torchserve"
    /// MLflow's scoring server: `/invocations`.
    case mlflow = "mlflow"
    /// Anything else: the model name comes from configuration.
    case generic = "generic"
}

/// What a request's method and target say about it, before any body is read.
public struct ServingRoute: Sendable, Equatable {
    public var `protocol`: ServingProtocol
    /// The model named in the path; `nil` where the protocol names it in the body (OpenAI) or not at all.
    public var model: String?
    /// The version (or TF Serving label) named in the path.
    public var version: String?
    /// The operation, a bounded label value: `predict`, `classify`, `regress`, `infer`,
    /// `chat_completions`, `completions`, `embeddings`, `predictions`, `invocations` or `other`.
    public var endpoint: String

    public init(protocol: ServingProtocol, model: String? = nil, version: String? = nil, endpoint: String) {
        self.protocol = `protocol`
        self.model = model
        self.version = version
        self.endpoint = endpoint
    }

    /// Recognises a request from its method and origin-form target.
    ///
    /// Only prediction requests are recognised as a protocol's; health, metadata and other calls
    /// are `generic` with endpoint `other`, so they never count as predictions.
    public static func recognize(method: String, target: String) -> ServingRoute {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { Self.percentDecoded($0) }
        let other = ServingRoute(protocol: .generic, endpoint: "other")
        guard method == "POST" else { return other }

        switch segments.first {
        case "v1" where segments.count >= 3 && segments[1] == "models":
            return Self.tfServing(Array(segments.dropFirst(2))) ?? other
        case "v1" where segments.count == 3 && segments[1] == "chat" && segments[2] == "completions":
            return ServingRoute(protocol: .openAI, endpoint: "chat_completions")
        case "v1" where segments.count == 2 && (segments[1] == "completions" || segments[1] == "embeddings"):
            return ServingRoute(protocol: .openAI, endpoint: segments[1])
        case "v2" where segments.count >= 4 && segments[1] == "models" && segments.last == "infer":
            let model = segments[2]
            guard !model.isEmpty else { return other }
            if segments.count == 4 {
                return ServingRoute(protocol: .openInference, model: model, endpoint: "infer")
            }
            if segments.count == 6 && segments[3] == "versions" && !segments[4].isEmpty {
                return ServingRoute(protocol: .openInference, model: model, version: segments[4], endpoint: "infer")
            }
            return other
        case "predictions" where (segments.count == 2 || segments.count == 3) && !segments[1].isEmpty:
            let version = segments.count == 3 && !segments[2].isEmpty ? segments[2] : nil
            return ServingRoute(protocol: .torchServe, model: segments[1], version: version, endpoint: "predictions")
        case "invocations" where segments.count == 1:
            return ServingRoute(protocol: .mlflow, endpoint: "invocations")
        default:
            return other
        }
    }

    /// `{model}[/versions/{v}|/labels/{l}]:{verb}`, with the verb on the last segment.
    private static func tfServing(_ rest: [String]) -> ServingRoute? {
        guard let last = rest.last, let colon = last.lastIndex(of: ":") else { return nil }
        let verb = String(last[last.index(after: colon)...])
        guard ["predict", "classify", "regress"].contains(verb) else { return nil }
        var parts = rest
        parts[parts.count - 1] = String(last[..<colon])
        switch parts.count {
        case 1 where !parts[0].isEmpty:
            return ServingRoute(protocol: .tfServing, model: parts[0], endpoint: verb)
        case 3 where !parts[0].isEmpty && (parts[1] == "versions" || parts[1] == "labels") && !parts[2].isEmpty:
            return ServingRoute(protocol: .tfServing, model: parts[0], version: parts[2], endpoint: verb)
        default:
            return nil
        }
    }

    /// Decodes `%XX` escapes; a malformed escape is kept as written.
    private static func percentDecoded(_ segment: Substring) -> String {
        guard segment.contains("%") else { return String(segment) }
        var bytes: [UInt8] = []
        var utf8 = Array(segment.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
