import CCurl

/// Owns one libcurl easy handle and the error buffer libcurl writes into.
///
/// Only the thread that drives the multi handle touches an easy handle, so this type is not
/// `Sendable`; it is reused for many transfers without a reset, which keeps libcurl's buffers and
/// parsed URL alive and per-request allocations low.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    /// libcurl writes human-readable detail about a failed transfer here.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The header list must outlive the transfer that uses it.
    private var headerList: CurlHeaderList?

    init?() {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        self.installErrorBuffer()
    }

    deinit {
        curl_easy_cleanup(self.handle)
        self.errorBuffer.deallocate()
    }

    /// The detail libcurl wrote about the last failure, if any.
    var errorDetail: String {
        let detail = String(cString: self.errorBuffer)
        return detail
    }

    func set(_ option: CURLoption, _ value: Int) throws(CurlSetupError) {
        try CurlSetupError.check(mw_curl_easy_setopt_long(self.handle, option, value), option)
    }

    func set(_ option: CURLoption, _ value: Bool) throws(CurlSetupError) {
        try self.set(option, value ? 1 : 0)
    }

    func set(_ option: CURLoption, offset value: Int64) throws(CurlSetupError) {
        try CurlSetupError.check(mw_curl_easy_setopt_off_t(self.handle, option, curl_off_t(value)), option)
    }

    func set(_ option: CURLoption, _ value: String) throws(CurlSetupError) {
        // libcurl copies string options (since 7.17), so the Swift string may go away afterwards.
        let code = value.withCString { mw_curl_easy_setopt_string(self.handle, option, $0) }
        try CurlSetupError.check(code, option)
    }

    func set(_ option: CURLoption, _ value: UnsafeMutableRawPointer?) throws(CurlSetupError) {
        try CurlSetupError.check(mw_curl_easy_setopt_pointer(self.handle, option, value), option)
    }

    func set(_ option: CURLoption, callback: mw_curl_data_callback) throws(CurlSetupError) {
        try CurlSetupError.check(mw_curl_easy_setopt_callback(self.handle, option, callback), option)
    }

    /// Has libcurl open and close its sockets through these callbacks, with `context` handed to both.
    func setSocketCallbacks(
        open: curl_opensocket_callback, close: curl_closesocket_callback, context: UnsafeMutableRawPointer
    ) throws(CurlSetupError) {
        try CurlSetupError.check(mw_curl_easy_setopt_opensocket_callback(self.handle, open), CURLOPT_OPENSOCKETFUNCTION)
        try self.set(CURLOPT_OPENSOCKETDATA, context)
        try CurlSetupError.check(mw_curl_easy_setopt_closesocket_callback(self.handle, close), CURLOPT_CLOSESOCKETFUNCTION)
        try self.set(CURLOPT_CLOSESOCKETDATA, context)
    }

    func setHeaders(_ list: CurlHeaderList) throws(CurlSetupError) {
        self.headerList = list
        try CurlSetupError.check(mw_curl_easy_setopt_slist(self.handle, CURLOPT_HTTPHEADER, list.head), CURLOPT_HTTPHEADER)
    }

    /// libcurl's own clock for the transfer that just ended: time to the first response byte and in all.
    var timings: UpstreamTimings {
        var firstByte: curl_off_t = 0
        var total: curl_off_t = 0
        _ = mw_curl_easy_getinfo_off_t(self.handle, CURLINFO_STARTTRANSFER_TIME_T, &firstByte)
        _ = mw_curl_easy_getinfo_off_t(self.handle, CURLINFO_TOTAL_TIME_T, &total)
        return UpstreamTimings(firstByte: .microseconds(Int64(firstByte)), total: .microseconds(Int64(total)))
    }

    /// Resumes a transfer paused from its read or write callback.
    func resume() {
        curl_easy_pause(self.handle, Int32(mw_curl_pause_cont))
    }

    private func installErrorBuffer() {
        _ = mw_curl_easy_setopt_pointer(self.handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(self.errorBuffer))
    }
}

/// A `curl_slist` of request headers, freed with its owner.
final class CurlHeaderList {
    private(set) var head: UnsafeMutablePointer<curl_slist>?

    init() {}

    deinit {
        curl_slist_free_all(self.head)
    }

    /// Appends one header line; libcurl copies the text.
    func append(_ line: String) {
        if let extended = line.withCString({ curl_slist_append(self.head, $0) }) {
            self.head = extended
        }
    }

    /// Appends `Name: value`, or libcurl's `Name;` for a header with an empty value (`Name:`
    /// would delete it). The line is assembled in a temporary buffer, not as a Swift string.
    func append(name: String, value: String) {
        let count = name.utf8.count + (value.isEmpty ? 1 : 2 + value.utf8.count) + 1
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { line in
            var index = line.initialize(fromContentsOf: name.utf8)
            for byte in value.isEmpty ? ";".utf8 : ": ".utf8 {
                line[index] = byte
                index += 1
            }
            for byte in value.utf8 {
                line[index] = byte
                index += 1
            }
            line[index] = 0
            let extended = line.withMemoryRebound(to: CChar.self) { curl_slist_append(self.head, $0.baseAddress) }
            if let extended {
                self.head = extended
            }
        }
    }
}

/// A libcurl option was refused while a transfer was being set up.
struct CurlSetupError: Error, CustomStringConvertible {
    let option: CURLoption
    let code: CURLcode

    static func check(_ code: CURLcode, _ option: CURLoption) throws(CurlSetupError) {
        if code != CURLE_OK {
            throw CurlSetupError(option: option, code: code)
        }
    }

    var description: String {
        "libcurl refused option \(self.option.rawValue): \(String(cString: curl_easy_strerror(self.code)))"
    }
}
