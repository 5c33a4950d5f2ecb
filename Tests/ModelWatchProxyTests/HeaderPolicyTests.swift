import NIOCore
import NIOHTTP1
import Testing

@testable import ModelWatchProxy

@Suite("Header policy")
struct HeaderPolicyTests {
    @Test("hop-by-hop request headers and those named by Connection are dropped; the rest keep order and repeats")
    func requestHeaders() {
        let head = HTTPRequestHead(
            version: .http1_1,
            method: .POST,
            uri: "/v2/models/iris/infer?x=1",
            headers: HTTPHeaders([
                ("Host", "sidecar:8080"), ("Connection", "keep-alive, X-Secret"), ("Keep-Alive", "timeout=5"),
                ("X-Secret", "hop"), ("TE", "trailers"), ("Upgrade", "h2c"), ("Proxy-Connection", "keep-alive"),
                ("Content-Length", "12"), ("Expect", "100-continue"), ("Accept", "a"), ("Accept", "b"),
                ("X-Request-Id", "42"),
            ])
        )
        let request = HeaderPolicy.upstreamRequest(for: head, clientAddress: "10.0.0.7")
        #expect(request.method == "POST")
        #expect(request.target == "/v2/models/iris/infer?x=1")
        #expect(request.body == UpstreamRequest.Body.length(12))
        let names = request.headers.map(\.name)
        #expect(names == ["Accept", "Accept", "X-Request-Id", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"])
        #expect(request.headers.map(\.value) == ["a", "b", "42", "10.0.0.7", "http", "sidecar:8080"])
    }

    @Test("an existing X-Forwarded-For chain is extended; existing proto and host are kept")
    func forwardedChain() {
        let head = HTTPRequestHead(
            version: .http1_1,
            method: .GET,
            uri: "/",
            headers: HTTPHeaders([
                ("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "2.2.2.2"), ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Host", "api.example"),
            ])
        )
        let request = HeaderPolicy.upstreamRequest(for: head, clientAddress: "3.3.3.3")
        #expect(request.body == UpstreamRequest.Body.none)
        let forwarded = request.headers.filter { $0.name == "X-Forwarded-For" }.map(\.value)
        #expect(forwarded == ["1.1.1.1, 2.2.2.2, 3.3.3.3"])
        #expect(request.headers.filter { $0.name == "X-Forwarded-Proto" }.map(\.value) == ["https"])
        #expect(request.headers.filter { $0.name == "X-Forwarded-Host" }.map(\.value) == ["api.example"])
    }

    @Test("a chunked request body is recognised")
    func chunked() {
        let head = HTTPRequestHead(version: .http1_1, method: .PUT, uri: "/x", headers: HTTPHeaders([("Transfer-Encoding", "chunked")]))
        let request = HeaderPolicy.upstreamRequest(for: head, clientAddress: nil)
        #expect(request.body == UpstreamRequest.Body.chunked)
        #expect(!request.headers.contains { $0.name.lowercased() == "transfer-encoding" })
    }

    @Test("response hop-by-hop headers are dropped; Content-Length and repeated Set-Cookie are kept")
    func responseHeaders() throws {
        let headers = try #require(
            HeaderPolicy.clientResponseHeaders([
                ("Content-Length", "5"), ("Connection", "X-Internal"), ("X-Internal", "1"), ("Transfer-Encoding", "chunked"),
                ("Keep-Alive", "timeout=5"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
            ]))
        #expect(headers.map(\.name) == ["Content-Length", "Set-Cookie", "Set-Cookie"])
        #expect(headers["set-cookie"] == ["a=1", "b=2"])
    }

    @Test("the backend's field lines give the client the same headers as the fields would, folded lines joined")
    func responseHeadersFromFieldLines() throws {
        var lines = ByteBuffer()
        lines.writeString(
            "X-Early: 1\r\nContent-Type: application/json\r\nX-Folded: a\r\n  b\r\nConnection: keep-alive, X-Early\r\n"
                + "Upgrade: h2c\r\nTE: trailers\r\nProxy-Connection: close\r\nSet-Cookie: a=1\r\nx-early: 2\r\nSet-Cookie: b=2\r\n")
        let head = UpstreamResponseHead(status: 200, fieldLines: lines)
        let headers = try #require(HeaderPolicy.clientResponseHeaders(head))
        #expect(headers.map(\.name) == ["Content-Type", "X-Folded", "Set-Cookie", "Set-Cookie"])
        #expect(headers["x-folded"] == ["a b"])
        #expect(headers == HeaderPolicy.clientResponseHeaders(head.headers))
    }

    @Test(
        "a response field with a control character in its value, or a name that is not a token, cannot be sent on",
        arguments: [
            ("X-Bad", "a\u{01}b"), ("X-Bad", "a\rb"), ("X-Bad", "a\nb"), ("X-Bad", "a\u{0}b"), ("X-Bad", "a\u{7F}"),
            ("X Bad", "1"), ("X:Bad", "1"), ("X\u{01}", "1"), ("", "1"),
        ])
    func responseFieldsThatCannotBeSent(name: String, value: String) {
        #expect(HeaderPolicy.clientResponseHeaders([("Content-Length", "2"), (name, value)]) == nil)
    }

    @Test("HTAB, obs-text and every visible character are sent on as they are")
    func responseFieldsThatCanBeSent() {
        let value = "a\tb \u{E9} !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
        let headers = HeaderPolicy.clientResponseHeaders([("X-Token!#$%&'*+-.^_`|~09", value)])
        #expect(headers?["x-token!#$%&'*+-.^_`|~09"] == [value])
    }

    @Test("a hop-by-hop field is dropped before it is checked: a bad one is not a reason to refuse the answer")
    func hopByHopFieldsAreNotChecked() {
        let headers = HeaderPolicy.clientResponseHeaders([("Connection", "close"), ("Keep-Alive", "a\u{01}"), ("X-Ok", "1")])
        #expect(headers?.map(\.name) == ["X-Ok"])
    }
}
