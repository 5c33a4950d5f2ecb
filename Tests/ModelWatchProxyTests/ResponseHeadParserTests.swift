import Testing

@testable import ModelWatchProxy

@Suite("Response head parser")
struct ResponseHeadParserTests {
    private func feed(_ lines: [String]) -> [UpstreamResponseHead] {
        var parser = ResponseHeadParser()
        var heads: [UpstreamResponseHead] = []
        for line in lines {
            var bytes = Array(line.utf8)
            if let head = bytes.withUnsafeMutableBytes({ parser.consume(UnsafeRawBufferPointer($0)) }) {
                heads.append(head)
            }
            bytes.removeAll()
        }
        return heads
    }

    @Test("a final head keeps header order, repeats and values")
    func finalHead() {
        let heads = self.feed([
            "HTTP/1.1 201 Created\r\n", "Content-Type: application/json\r\n", "Set-Cookie: a=1\r\n",
            "Set-Cookie: b=2\r\n", "X-Empty:\r\n", "X-Spaced:   padded value  \r\n", "\r\n",
        ])
        #expect(heads.count == 1)
        #expect(heads.first?.status == 201)
        let headers = heads.first?.headers ?? []
        #expect(headers.map(\.name) == ["Content-Type", "Set-Cookie", "Set-Cookie", "X-Empty", "X-Spaced"])
        #expect(headers.map(\.value) == ["application/json", "a=1", "b=2", "", "padded value"])
    }

    @Test("interim 1xx heads are skipped and the final head is reported once")
    func interimHeads() {
        let heads = self.feed([
            "HTTP/1.1 100 Continue\r\n", "\r\n", "HTTP/1.1 103 Early Hints\r\n", "Link: </a.css>\r\n", "\r\n",
            "HTTP/1.1 200 OK\r\n", "Content-Length: 2\r\n", "\r\n",
        ])
        #expect(heads.count == 1)
        #expect(heads.first?.status == 200)
        #expect(heads.first?.headers.map(\.name) == ["Content-Length"])
    }

    @Test("trailers after a chunked body are not reported as a second head")
    func trailersIgnored() {
        let heads = self.feed(["HTTP/1.1 200 OK\r\n", "\r\n", "X-Checksum: abc\r\n", "\r\n"])
        #expect(heads.count == 1)
        #expect(heads.first?.headers.isEmpty == true)
    }

    @Test("obsolete line folding joins the continuation to the previous value")
    func folding() {
        let heads = self.feed(["HTTP/1.1 200 OK\r\n", "X-Long: first\r\n", "   second\r\n", "\r\n"])
        #expect(heads.first?.headers.first?.value == "first second")
    }
}

@Suite("Response head field lookup")
struct ResponseHeadLookupTests {
    @Test("value(of:) finds a field ignoring case and agrees with headers, folding included")
    func lookupAgreesWithHeaders() throws {
        var parser = ResponseHeadParser()
        var head: UpstreamResponseHead?
        for line in [
            "HTTP/1.1 200 OK\r\n", "Content-TYPE:  application/json \r\n", "X-Long: first\r\n", "\tsecond\r\n",
            "Inference-Header-Content-Length: 42\r\n", "content-type: text/plain\r\n", "\r\n",
        ] {
            var bytes = Array(line.utf8)
            head = bytes.withUnsafeMutableBytes { parser.consume(UnsafeRawBufferPointer($0)) } ?? head
        }
        let parsed = try #require(head)
        #expect(parsed.value(of: "content-type") == "application/json")
        #expect(parsed.value(of: "x-long") == "first second")
        #expect(parsed.value(of: "inference-header-content-length") == "42")
        #expect(parsed.value(of: "content-length") == nil)
        for (name, value) in parsed.headers where name != "content-type" {
            #expect(parsed.value(of: name.lowercased()) == value, "\(name)")
        }
        // Two fields in one pass, each as value(of:) gives it, folded lines on either side.
        #expect(parsed.values(of: "content-type", "x-long") == ("application/json", "first second"))
        #expect(parsed.values(of: "x-long", "inference-header-content-length") == ("first second", "42"))
        #expect(parsed.values(of: "content-length", "x-long") == (nil, "first second"))
        #expect(parsed.values(of: "inference-header-content-length", "content-length") == ("42", nil))
    }

    @Test("value(of:) wants the whole name before the colon: longer names, short lines and a space before the colon do not match")
    func lookupMatchesWholeNames() {
        let head = UpstreamResponseHead(
            status: 200,
            fields: [("Content-Type-Options", "nosniff"), ("Content", "x"), ("Content-Type ", "spaced"), ("content-type", "json")])
        #expect(head.value(of: "content-type") == "json")
        #expect(head.value(of: "content") == "x")
        #expect(head.value(of: "content-type-options-more") == nil)
    }

    @Test(
        "header names compare ignoring ASCII case only",
        arguments: [
            ("Content-Type", "content-type", true), ("CONTENT-TYPE", "content-type", true), ("content-typ", "content-type", false),
            ("Content_Type", "content-type", false), ("X-Ä", "x-ä", false), ("te", "te", true), ("TE", "te", true),
        ])
    func headerNames(name: String, lowercased: String, equal: Bool) {
        #expect(name.isHeaderName(lowercased) == equal)
    }
}
