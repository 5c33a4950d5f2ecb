/// Token counts an OpenAI-compatible server reported for one exchange.
public struct TokenUsage: Sendable, Equatable {
    public var prompt: Int?
    public var completion: Int?

    public init(prompt: Int?, completion: Int?) {
        self.prompt = prompt
        self.completion = completion
    }
}

/// When the tokens of a streamed answer arrived, measured from the request's arrival.
public struct TokenTiming: Sendable, Equatable {
    /// Until the first event that carried generated content.
    public var timeToFirstToken: Duration
    /// Between consecutive content-bearing events.
    public var interTokenGaps: [Duration]

    public init(timeToFirstToken: Duration, interTokenGaps: [Duration]) {
        self.timeToFirstToken = timeToFirstToken
        self.interTokenGaps = interTokenGaps
    }
}
