/// The serving protocols ModelWatch understands, named as they appear in metric labels.
public enum ServingProtocol: String, Sendable, Hashable, CaseIterable {
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
public struct ServingRoute: Sendable, Hashable {
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
    /// are `generic` with endpoint `other`, so they never count as predictions. It runs on the
    /// proxy path for every request (the in-flight gauge needs the model), so it only allocates
    /// for the strings it returns, and for segments with `%` escapes.
    public static func recognize(method: String, target: String) -> ServingRoute {
        let other = ServingRoute(protocol: .generic, endpoint: "other")
        guard method == "POST" else { return other }
        let path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? target[...]
        // Split on bytes: splitting on a `Character` walks grapheme clusters and cost more than
        // the rest of decoding a small payload. No prediction path has more than six segments.
        let segments = path.utf8.split(separator: UInt8(ascii: "/"), maxSplits: 7, omittingEmptySubsequences: false).dropFirst()
        guard segments.count <= 6 else { return other }
        let escaped = path.utf8.contains(UInt8(ascii: "%"))
        let parts = segments.map { escaped ? Substring(Self.percentDecoded(Substring($0))) : Substring($0) }

        switch parts.first {
        case "v1" where parts.count >= 3 && parts[1] == "models":
            return Self.tfServing(parts.dropFirst(2)) ?? other
        case "v1" where parts.count == 3 && parts[1] == "chat" && parts[2] == "completions":
            return ServingRoute(protocol: .openAI, endpoint: "chat_completions")
        case "v1" where parts.count == 2 && (parts[1] == "completions" || parts[1] == "embeddings"):
            return ServingRoute(protocol: .openAI, endpoint: String(parts[1]))
        case "v2" where parts.count >= 4 && parts[1] == "models" && parts.last == "infer":
            let model = parts[2]
            guard !model.isEmpty else { return other }
            if parts.count == 4 {
                return ServingRoute(protocol: .openInference, model: String(model), endpoint: "infer")
            }
            if parts.count == 6 && parts[3] == "versions" && !parts[4].isEmpty {
                return ServingRoute(protocol: .openInference, model: String(model), version: String(parts[4]), endpoint: "infer")
            }
            return other
        case "predictions" where (parts.count == 2 || parts.count == 3) && !parts[1].isEmpty:
            let version = parts.count == 3 && !parts[2].isEmpty ? String(parts[2]) : nil
            return ServingRoute(protocol: .torchServe, model: String(parts[1]), version: version, endpoint: "predictions")
        case "invocations" where parts.count == 1:
            return ServingRoute(protocol: .mlflow, endpoint: "invocations")
        default:
            return other
        }
    }

    /// `{model}[/versions/{v}|/labels/{l}]:{verb}`, with the verb on the last segment.
    private static func tfServing(_ rest: ArraySlice<Substring>) -> ServingRoute? {
        guard let last = rest.last, let colon = last.utf8.lastIndex(of: UInt8(ascii: ":")) else { return nil }
        let verb = last[last.index(after: colon)...]
        guard verb == "predict" || verb == "classify" || verb == "regress" else { return nil }
        let parts = Array(rest.dropLast()) + [last[..<colon]]
        switch parts.count {
        case 1 where !parts[0].isEmpty:
            return ServingRoute(protocol: .tfServing, model: String(parts[0]), endpoint: String(verb))
        case 3 where !parts[0].isEmpty && (parts[1] == "versions" || parts[1] == "labels") && !parts[2].isEmpty:
            return ServingRoute(protocol: .tfServing, model: String(parts[0]), version: String(parts[2]), endpoint: String(verb))
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
