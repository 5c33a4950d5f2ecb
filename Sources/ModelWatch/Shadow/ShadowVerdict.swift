import ModelWatchMetrics
import ModelWatchProtocols

/// How one sampled exchange compared with its shadow, over every configured output pair.
struct ShadowVerdict: Sendable {
    /// `match`, `mismatch` or `error`, the metric's `result` label.
    enum Result: String, Sendable {
        case match, mismatch, error
    }

    var result: Result
    /// For `error`: why (the metric's label) and what happened.
    var errorReason: ShadowErrorReason?
    var errorDetail: String?
    var outputs: [OutputComparator.Result] = []
    /// The compared values of both sides, by backend output name, for the mismatch record.
    var backendValues: [String: ShadowOutput] = [:]
    var shadowValues: [String: ShadowOutput] = [:]

    static func error(_ reason: ShadowErrorReason, _ detail: String) -> ShadowVerdict {
        ShadowVerdict(result: .error, errorReason: reason, errorDetail: detail)
    }

    /// Lines up each pair and compares it.
    /// - Parameters:
    ///   - pairs: the configured pairs; empty pairs every backend output with the shadow output of
    ///     its name (a URL shadow speaks the backend's protocol).
    ///   - shadow: the shadow's output by name.
    static func judge(pairs: [ShadowOutputPair], backend: DecodedPayload, shadow: (String) -> ShadowOutput?) -> ShadowVerdict {
        let pairs =
            pairs.isEmpty
            ? backend.tensors.map { ShadowOutputPair(shadowOutput: $0.name, backendOutput: $0.name, comparison: .defaultNumeric) } : pairs
        guard !pairs.isEmpty else { return .error(.backendOutputMissing, "the backend's answer has no outputs") }
        var verdict = ShadowVerdict(result: .match)
        for pair in pairs {
            var tensor = backend.tensors.first { $0.name == pair.backendOutput }
            // An answer with one unnamed output (`predictions`) pairs with a one-pair configuration.
            if tensor == nil, pairs.count == 1, backend.tensors.count == 1 { tensor = backend.tensors[0] }
            guard let tensor else {
                return .error(
                    .backendOutputMissing,
                    "the backend's answer has no output \"\(pair.backendOutput)\" (it has: \(backend.tensors.map(\.name).joined(separator: ", ")))"
                )
            }
            guard let mine = ShadowOutput(tensor) else {
                return .error(
                    .backendOutputUnreadable,
                    "\"\(tensor.name)\" came in the binary-tensor extension (values not read) or does not fill whole rows")
            }
            guard let theirs = shadow(pair.shadowOutput) else {
                return .error(.shadowOutputMissing, "the shadow's answer has no output \"\(pair.shadowOutput)\"")
            }
            let compared = OutputComparator(comparison: pair.comparison).compare(backend: mine, shadow: theirs, output: pair.backendOutput)
            verdict.outputs.append(compared)
            verdict.backendValues[pair.backendOutput] = mine
            verdict.shadowValues[pair.backendOutput] = theirs
            if !compared.agrees { verdict.result = .mismatch }
        }
        return verdict
    }
}
