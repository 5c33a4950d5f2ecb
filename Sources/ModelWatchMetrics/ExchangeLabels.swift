/// The labels every per-request series carries: bounded values, resolved before recording.
public struct ExchangeLabels: Hashable, Sendable {
    public var model: String
    public var version: String
    public var `protocol`: String
    public var endpoint: String

    public init(model: String, version: String, protocol: String, endpoint: String) {
        self.model = model
        self.version = version
        self.protocol = `protocol`
        self.endpoint = endpoint
    }

    var pairs: [(String, String)] {
        [("model", self.model), ("version", self.version), ("protocol", self.protocol), ("endpoint", self.endpoint)]
    }
}

/// What the analysis pipeline measured of one exchange.
/// Who gave the client its status: the backend's own answer, or the sidecar's (its errors, and
/// `499` for a client that left before any), so an error ratio can be split between them.
public enum AnswerSource: String, Sendable, Hashable {
    case backend
    case sidecar
}

public struct ExchangeMeasurement: Sendable {
    public var labels: ExchangeLabels
    /// The status the client received, as a label value (`499` when it got none).
    public var code: String
    public var source: AnswerSource
    /// Client-observed duration.
    public var duration: Duration
    /// The backend's share as libcurl measured it; `nil` when the exchange did not complete.
    public var upstream: Duration?
    public var requestBytes: Int
    public var responseBytes: Int

    public init(
        labels: ExchangeLabels, code: String, source: AnswerSource = .backend, duration: Duration, upstream: Duration?, requestBytes: Int,
        responseBytes: Int
    ) {
        self.labels = labels
        self.code = code
        self.source = source
        self.duration = duration
        self.upstream = upstream
        self.requestBytes = requestBytes
        self.responseBytes = responseBytes
    }
}

extension Duration {
    /// The duration in (fractional) seconds, as Prometheus wants it.
    public var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
