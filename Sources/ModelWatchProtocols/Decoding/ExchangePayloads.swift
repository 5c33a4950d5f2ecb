/// One finished exchange as the decoder needs it: no HTTP machinery, just what was sent and seen.
public struct ExchangePayloads: Sendable {
    public var method: String
    public var target: String
    public var requestContentType: String?
    /// `Inference-Header-Content-Length` of the request (binary-tensor extension).
    public var requestHeaderLength: Int?
    /// The request body; `nil` when it was too large to keep.
    public var requestBody: [UInt8]?
    /// The status the client received, if any.
    public var status: Int?
    public var responseContentType: String?
    public var responseHeaderLength: Int?
    /// The response body; `nil` when it was too large to keep.
    public var responseBody: [UInt8]?
    /// `false` when the client left or the backend failed before the response's end: the body is
    /// a prefix, which says nothing about the backend's payload.
    public var responseComplete: Bool
    /// For streamed answers: `(endOffset, elapsed)` of every chunk, in arrival order.
    public var arrivals: [(endOffset: Int, elapsed: Duration)]

    public init(
        method: String,
        target: String,
        requestContentType: String? = nil,
        requestHeaderLength: Int? = nil,
        requestBody: [UInt8]?,
        status: Int?,
        responseContentType: String? = nil,
        responseHeaderLength: Int? = nil,
        responseBody: [UInt8]?,
        responseComplete: Bool = true,
        arrivals: [(endOffset: Int, elapsed: Duration)] = []
    ) {
        self.method = method
        self.target = target
        self.requestContentType = requestContentType
        self.requestHeaderLength = requestHeaderLength
        self.requestBody = requestBody
        self.status = status
        self.responseContentType = responseContentType
        self.responseHeaderLength = responseHeaderLength
        self.responseBody = responseBody
        self.responseComplete = responseComplete
        self.arrivals = arrivals
    }
}

/// Everything decoding learnt about one exchange, ready for metrics, drift and shadow comparison.
public struct DecodedExchange: Sendable, Equatable {
    /// Which side of the exchange a failure is about.
    public enum Side: String, Sendable {
        case request, response
    }

    public var route: ServingRoute
    /// The model named by the path, the request body or the response, in that order of trust.
    public var model: String?
    public var version: String?
    public var request: DecodedPayload?
    public var response: DecodedPayload?
    /// Rows (instances, prompts × choices, inputs) answered successfully; `nil` for failed
    /// exchanges and for calls that are not predictions.
    public var predictions: Int?
    public var tokens: TokenUsage?
    public var tokenTiming: TokenTiming?
    public var failures: [(side: Side, failure: PayloadDecodeFailure)]

    public init(route: ServingRoute) {
        self.route = route
        self.failures = []
    }

    public static func == (lhs: DecodedExchange, rhs: DecodedExchange) -> Bool {
        lhs.route == rhs.route && lhs.model == rhs.model && lhs.version == rhs.version && lhs.request == rhs.request
            && lhs.response == rhs.response && lhs.predictions == rhs.predictions && lhs.tokens == rhs.tokens
            && lhs.tokenTiming == rhs.tokenTiming
            && lhs.failures.elementsEqual(rhs.failures) { $0.side == $1.side && $0.failure == $1.failure }
    }
}
