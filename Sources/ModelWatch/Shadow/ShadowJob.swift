import ModelWatchProtocols

/// One sampled exchange waiting for its shadow: what the client sent and the backend answered,
/// raw (for a URL shadow and the mismatch record) and decoded (for the reference).
struct ShadowJob: Sendable {
    var model: String
    var version: String
    var method: String
    var target: String
    var requestContentType: String?
    var requestHeaderLength: Int?
    var requestBody: [UInt8]
    var responseBody: [UInt8]
    var request: DecodedPayload
    var response: DecodedPayload
}
