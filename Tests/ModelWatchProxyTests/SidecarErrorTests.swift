import NIOCore
import NIOHTTP1
import Testing

@testable import ModelWatchProxy

@Suite("Sidecar errors")
struct SidecarErrorTests {
    @Test("upstream failures map to 502, 503 or 504 with a cause naming the failure")
    func upstreamMapping() {
        let timeout = SidecarError.upstream(UpstreamFailure(kind: .timeout, detail: "slow"))
        #expect(timeout.status.code == 504)
        #expect(timeout.cause.rawValue == "upstream-timeout")
        let poolTimeout = SidecarError.upstream(UpstreamFailure(kind: .poolTimeout, detail: "busy"))
        #expect(poolTimeout.status.code == 503)
        #expect(poolTimeout.cause.rawValue == "upstream-pool-timeout")
        for kind in UpstreamFailure.Kind.allCases where kind != .timeout && kind != .poolTimeout {
            let error = SidecarError.upstream(UpstreamFailure(kind: kind, detail: "x"))
            #expect(error.status.code == 502)
            #expect(error.cause.rawValue == "upstream-\(kind.rawValue)")
        }
    }

    @Test("the JSON body escapes quotes, backslashes and control characters")
    func jsonEscaping() {
        let error = SidecarError(status: .badRequest, cause: .malformedRequest, message: "a \"b\" \\ c\nd\u{1}")
        #expect(String(buffer: error.body) == #"{"error":"a \"b\" \\ c\nd\u0001"}"#)
    }

    @Test("the head names the cause and the body length")
    func head() {
        let error = SidecarError.bodyTooLarge(limit: 10)
        let head = error.head(version: .http1_1, keepAlive: false)
        #expect(head.status == .payloadTooLarge)
        #expect(head.headers[SidecarError.headerName] == ["body-too-large"])
        #expect(head.headers["content-length"] == [String(error.body.readableBytes)])
        #expect(head.headers["connection"] == ["close"])
    }
}
