import ModelWatchProxy
import Testing

@testable import ModelWatch

@Suite("Upstream outage log")
struct UpstreamOutageLogTests {
    static let refused = UpstreamFailure(kind: .connect, detail: "connection refused")
    static let late = UpstreamFailure(kind: .timeout, detail: "timed out")

    @Test("an outage is one line when it begins, a summary a minute at most, and one line with the counts when it ends")
    func outage() {
        var log = UpstreamOutageLog()
        #expect(log.answered(now: 0) == nil, "nothing to say while the backend answers")
        #expect(
            log.failed(route: "POST /v2/models/m/infer", model: "m", failure: Self.refused, now: 1_000)
                == .began(route: "POST /v2/models/m/infer", model: "m", failure: Self.refused))
        for second in 2..<60 {
            #expect(log.failed(route: "GET /", model: "m", failure: Self.refused, now: Int64(second) * 1_000) == nil)
        }
        #expect(
            log.failed(route: "GET /", model: "m", failure: Self.late, now: 61_000)
                == .continuing(failures: 59, byKind: ["connect": 59, "timeout": 1]))
        #expect(log.failed(route: "GET /", model: "m", failure: Self.late, now: 62_000) == nil)
        #expect(log.answered(now: 71_000) == .ended(failures: 61, byKind: ["connect": 59, "timeout": 2], seconds: 70))
        #expect(log.answered(now: 72_000) == nil)
        #expect(
            log.failed(route: "GET /", model: "m", failure: Self.late, now: 80_000)
                == .began(route: "GET /", model: "m", failure: Self.late), "a new outage")
    }
}
