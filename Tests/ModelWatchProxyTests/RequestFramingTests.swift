import NIOHTTP1
import Testing

@testable import ModelWatchProxy

@Suite("Request framing")
struct RequestFramingTests {
    static func head(_ headers: [(String, String)], _ version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: .POST, uri: "/v2/models/m/infer", headers: HTTPHeaders(headers))
    }

    @Test("forwardable heads pass: one Host, chunked alone, HTTP/1.0 without Host")
    func accepted() {
        #expect(RequestFraming.check(Self.head([("host", "a")])) == nil)
        #expect(RequestFraming.check(Self.head([("host", "")])) == nil)
        #expect(RequestFraming.check(Self.head([("host", "a"), ("transfer-encoding", "Chunked")])) == nil)
        #expect(RequestFraming.check(Self.head([], .http1_0)) == nil)
    }

    @Test(
        "heads a backend could frame differently are refused, with the status and cause",
        arguments: [
            ([] as [(String, String)], HTTPVersion.http1_1, 400, "exactly one Host header; it had none"),
            ([("host", "a"), ("host", "b")], .http1_1, 400, "it had 2"),
            ([("host", "a"), ("host", "b")], .http1_0, 400, "one Host header with one value"),
            ([("host", "a, b")], .http1_1, 400, "one Host header with one value"),
            ([("host", "a"), ("transfer-encoding", "gzip, chunked")], .http1_1, 501, "\"gzip, chunked\""),
            ([("host", "a"), ("transfer-encoding", "gzip"), ("transfer-encoding", "chunked")], .http1_1, 501, "\"gzip, chunked\""),
            ([("transfer-encoding", "chunked")], .http1_0, 400, "not allowed in an HTTP/1.0 request"),
        ]
    )
    func refused(headers: [(String, String)], version: HTTPVersion, status: Int, words: String) throws {
        let problem = try #require(RequestFraming.check(Self.head(headers, version)))
        #expect(Int(problem.status.code) == status)
        #expect(problem.message.contains(words), "\(problem.message)")
    }

    @Test("a HEAD request with content is refused; one with Content-Length 0 passes")
    func headWithContent() throws {
        func head(_ headers: [(String, String)]) -> HTTPRequestHead {
            HTTPRequestHead(version: .http1_1, method: .HEAD, uri: "/v1/models/m", headers: HTTPHeaders([("host", "a")] + headers))
        }
        #expect(RequestFraming.check(head([])) == nil)
        #expect(RequestFraming.check(head([("content-length", "0")])) == nil)
        for headers in [[("content-length", "82")], [("transfer-encoding", "chunked")]] {
            let problem = try #require(RequestFraming.check(head(headers)))
            #expect(problem.status == .badRequest && problem.message.contains("HEAD request carries no content"))
        }
    }

    @Test("parser errors become answers in words, with 431 for an oversized head and 501 for an upgrade")
    func parserErrors() {
        #expect(RequestFraming.answer(for: .headerOverflow).status == .requestHeaderFieldsTooLarge)
        #expect(RequestFraming.answer(for: .paused).status == .notImplemented)
        for error in [HTTPParserError.invalidMethod, .unexpectedContentLength, .invalidHeaderToken, .unknown, .invalidChunkSize] {
            let answer = RequestFraming.answer(for: error)
            #expect(answer.status == .badRequest)
            #expect(!answer.message.contains("parser") && !answer.message.contains("overflow"), "\(answer.message)")
        }
    }
}
