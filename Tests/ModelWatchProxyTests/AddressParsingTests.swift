import Testing

@testable import ModelWatchProxy

@Suite("Address parsing")
struct AddressParsingTests {
    @Test(
        "upstream URLs split into origin and path prefix",
        arguments: [
            ("http://127.0.0.1:8501", "http://127.0.0.1:8501", ""),
            ("http://model", "http://model:80", ""),
            ("https://model.internal/", "https://model.internal:443", ""),
            ("http://[::1]:9000/prefix/", "http://[::1]:9000", "/prefix"),
            ("HTTP://host:1/a/b", "http://host:1", "/a/b"),
        ]
    )
    func upstreamURL(text: String, origin: String, prefix: String) throws {
        let url = try UpstreamURL(parsing: text)
        #expect(url.origin == origin)
        #expect(url.pathPrefix == prefix)
    }

    @Test(
        "bad upstream URLs are refused",
        arguments: ["127.0.0.1:8501", "ftp://host", "http://", "http://host:0", "http://host:99999", "http://u:p@host", "http://h/?q=1"]
    )
    func badUpstreamURL(text: String) {
        #expect(throws: UpstreamURL.ParseError.self) { try UpstreamURL(parsing: text) }
    }

    @Test(
        "listen addresses",
        arguments: [
            ("127.0.0.1:9464", "127.0.0.1", 9464), (":8080", "0.0.0.0", 8080), ("[::1]:80", "::1", 80), ("0.0.0.0:0", "0.0.0.0", 0),
        ]
    )
    func listen(text: String, host: String, port: Int) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address.host == host)
        #expect(address.port == port)
    }

    @Test("bad listen addresses are refused", arguments: ["8080", "host:", "host:70000", "host:http"])
    func badListen(text: String) {
        #expect(throws: ListenAddress.ParseError.self) { try ListenAddress(parsing: text) }
    }
}
