import CCurl

/// Where and how the sidecar POSTs something of its own (alert notifications), apart from the
/// proxied traffic.
public struct HTTPPostTarget: Sendable {
    /// Credentials for HTTP basic authentication.
    public struct BasicAuth: Sendable, Equatable {
        public var username: String
        public var password: String

        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    /// The full URL POSTed to.
    public var url: String
    /// The whole exchange's limit, connection included.
    public var timeout: Duration
    /// A CA bundle (PEM) for an `https` URL; the system's otherwise.
    public var caFile: String?
    /// Basic authentication, if any.
    public var basicAuth: BasicAuth?
    /// A bearer token sent as `Authorization: Bearer …`, if any.
    public var bearerToken: String?

    public init(url: String, timeout: Duration, caFile: String? = nil, basicAuth: BasicAuth? = nil, bearerToken: String? = nil) {
        self.url = url
        self.timeout = timeout
        self.caFile = caFile
        self.basicAuth = basicAuth
        self.bearerToken = bearerToken
    }
}

/// How a POST ended.
public enum HTTPPostOutcome: Sendable, Equatable {
    /// The server answered: its status and the start of its body (for error messages).
    case answered(status: Int, body: String)
    /// No answer: refused, unreachable, timed out, TLS failed; libcurl's words.
    case failed(String)
}

/// Sends one POST at a time with libcurl's easy interface, blocking the calling thread until the
/// answer or the timeout: for a dedicated thread that sends the sidecar's own messages, never an
/// event loop or the cooperative pool. Its connection to a server
/// is kept alive between POSTs.
public final class HTTPPostClient {
    private let easy: CurlEasy
    /// The start of the last response body, written by libcurl's write callback.
    private var responseBody: [UInt8] = []

    /// The most response bytes kept for an error message.
    static let keptResponseBytes = 1024

    /// A client with one easy handle.
    /// - Returns: `nil` when libcurl cannot make a handle.
    public init?() {
        CurlGlobal.ensureInitialised()
        guard let easy = CurlEasy() else { return nil }
        self.easy = easy
    }

    /// POSTs `body` (not empty) and waits for the answer.
    public func post(_ body: [UInt8], contentType: String, to target: HTTPPostTarget) -> HTTPPostOutcome {
        self.responseBody.removeAll(keepingCapacity: true)
        let headers = CurlHeaderList()
        headers.append(name: "Content-Type", value: contentType)
        // No `Expect: 100-continue` round trip for a body of a few kilobytes.
        headers.append("Expect:")
        if let token = target.bearerToken { headers.append(name: "Authorization", value: "Bearer " + token) }
        let code: CURLcode
        do throws(CurlSetupError) {
            try self.easy.set(CURLOPT_URL, target.url)
            try self.easy.set(CURLOPT_NOSIGNAL, true)
            try self.easy.set(CURLOPT_TIMEOUT_MS, max(1, target.timeout.roundedUpMilliseconds))
            try self.easy.set(CURLOPT_CONNECTTIMEOUT_MS, max(1, target.timeout.roundedUpMilliseconds))
            if let caFile = target.caFile { try self.easy.set(CURLOPT_CAINFO, caFile) }
            if let auth = target.basicAuth {
                // Basic is libcurl's default scheme for a user name and password.
                try self.easy.set(CURLOPT_USERNAME, auth.username)
                try self.easy.set(CURLOPT_PASSWORD, auth.password)
            }
            try self.easy.setHeaders(headers)
            try self.easy.set(CURLOPT_POST, true)
            try self.easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.count))
            // COPYPOSTFIELDS copies the body, so the buffer may go once it is set.
            let copied = body.withUnsafeBytes { bytes in
                mw_curl_easy_setopt_pointer(
                    self.easy.handle, CURLOPT_COPYPOSTFIELDS, bytes.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) })
            }
            try CurlSetupError.check(copied, CURLOPT_COPYPOSTFIELDS)
            try self.easy.set(CURLOPT_WRITEFUNCTION, callback: collectBody)
            try self.easy.set(CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque())
        } catch {
            return .failed(error.description)
        }
        code = curl_easy_perform(self.easy.handle)
        guard code == CURLE_OK else {
            let detail = self.easy.errorDetail
            return .failed(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
        var status = 0
        _ = mw_curl_easy_getinfo_long(self.easy.handle, CURLINFO_RESPONSE_CODE, &status)
        return .answered(status: status, body: String(decoding: self.responseBody, as: UTF8.self))
    }

    fileprivate func collect(_ bytes: UnsafeRawBufferPointer) {
        let room = Self.keptResponseBytes - self.responseBody.count
        if room > 0 { self.responseBody += bytes.prefix(room) }
    }
}

private let collectBody: mw_curl_data_callback = { buffer, size, count, context in
    let length = size * count
    if let context {
        Unmanaged<HTTPPostClient>.fromOpaque(context).takeUnretainedValue().collect(UnsafeRawBufferPointer(start: buffer, count: length))
    }
    return length
}
