import CCurl
import Logging
import NIOCore

// Setting up libcurl's easy handles for this backend, and the data callbacks.

extension UpstreamLoopDriver {
    /// A handle with the options that are the same for every transfer to this backend.
    func makeHandle() -> CurlEasy? {
        guard let easy = CurlEasy() else { return nil }
        do {
            try easy.set(CURLOPT_URL, self.configuration.url.origin)
            try easy.set(CURLOPT_PATH_AS_IS, true)
            try easy.set(CURLOPT_NOSIGNAL, true)
            try easy.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
            try easy.set(CURLOPT_TCP_NODELAY, true)
            try easy.set(CURLOPT_TCP_KEEPALIVE, true)
            // The backend is reached directly: an `http_proxy` in the sidecar's environment (meant
            // for egress) must not reroute it, and an empty proxy also spares libcurl looking the
            // variables up for every transfer.
            try easy.set(CURLOPT_PROXY, "")
            try easy.set(CURLOPT_CONNECTTIMEOUT_MS, max(1, self.configuration.connectTimeout.roundedUpMilliseconds))
            if let caFile = self.configuration.caFile {
                try easy.set(CURLOPT_CAINFO, caFile)
            }
            try easy.set(CURLOPT_HEADERFUNCTION, callback: headerCallback)
            try easy.set(CURLOPT_WRITEFUNCTION, callback: writeCallback)
            try easy.set(CURLOPT_READFUNCTION, callback: readCallback)
            try easy.setSocketCallbacks(
                open: openSocketCallback, close: closeSocketCallback, context: Unmanaged.passUnretained(self).toOpaque())
        } catch {
            self.logger.error("could not set up an upstream handle", metadata: ["error": "\(error)"])
            return nil
        }
        return easy
    }

    /// Sets every option that differs between transfers, overwriting what the last one left.
    func configure(_ easy: CurlEasy, for transfer: UpstreamTransfer, timeoutMilliseconds: Int) throws(CurlSetupError) {
        let request = transfer.request
        // The client's target goes out verbatim: libcurl neither re-encodes nor normalises it.
        try easy.set(CURLOPT_REQUEST_TARGET, self.configuration.url.pathPrefix + request.target)
        // 0 is libcurl's "no total timeout".
        try easy.set(CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        try easy.set(CURLOPT_HEADERDATA, context)
        try easy.set(CURLOPT_WRITEDATA, context)
        try easy.set(CURLOPT_READDATA, context)

        // A null POSTFIELDS frees the copy of a previous transfer's whole body; HTTPGET then
        // clears the POST, NOBODY and UPLOAD modes a previous transfer may have set.
        try easy.set(CURLOPT_POSTFIELDS, UnsafeMutableRawPointer?.none)
        try easy.set(CURLOPT_HTTPGET, true)
        var customMethod: String? = request.method
        switch request.body {
        case .none:
            if request.method == "GET" {
                customMethod = nil
            } else if request.method == "HEAD" {
                try easy.set(CURLOPT_NOBODY, true)
                customMethod = nil
            }
        case .length, .chunked:
            try easy.set(CURLOPT_POST, true)
            if case .length(let length) = request.body {
                try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: length)
            } else {
                try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: -1)
            }
            if request.method == "POST" {
                customMethod = nil
            }
        case .whole(let body):
            try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.readableBytes))
            // COPYPOSTFIELDS copies the bytes, so the buffer may go away before the transfer ends.
            // For a size of 0 libcurl copies nothing but needs a non-null pointer (a null one
            // would select the read callback).
            try body.withUnsafeReadableBytes { bytes throws(CurlSetupError) in
                let start = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)
                try easy.set(CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: start))
            }
            if request.method == "POST" {
                customMethod = nil
            }
        }
        if let customMethod {
            try easy.set(CURLOPT_CUSTOMREQUEST, customMethod)
        } else {
            try easy.set(CURLOPT_CUSTOMREQUEST, UnsafeMutableRawPointer?.none)
        }
        try easy.setHeaders(Self.headerList(for: request))
    }

    /// The client's headers, plus blanks that stop libcurl from adding headers of its own.
    private static func headerList(for request: UpstreamRequest) -> CurlHeaderList {
        let list = CurlHeaderList()
        var sawAccept = false
        var sawContentType = false
        for (name, value) in request.headers {
            list.append(name: name, value: value)
            if !sawAccept, name.isHeaderName("accept") { sawAccept = true }
            if !sawContentType, name.isHeaderName("content-type") { sawContentType = true }
        }
        if !sawAccept { list.append("Accept:") }
        if !sawContentType { list.append("Content-Type:") }
        list.append("Expect:")
        return list
    }
}

/// Calls `body` with the transfer a callback's context names. The transfer is borrowed, not
/// retained and released around each call: its driver holds it for as long as libcurl runs it.
private func withTransfer<Result>(_ context: UnsafeMutableRawPointer?, _ body: (UpstreamTransfer) -> Result) -> Result {
    Unmanaged<UpstreamTransfer>.fromOpaque(context!)._withUnsafeGuaranteedRef(body)
}

private let headerCallback: mw_curl_data_callback = { buffer, size, count, context in
    let length = size * count
    withTransfer(context) { $0.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: length)) }
    return length
}

private let writeCallback: mw_curl_data_callback = { buffer, size, count, context in
    withTransfer(context) { $0.receiveBody(UnsafeRawBufferPointer(start: buffer, count: size * count)) }
}

private let readCallback: mw_curl_data_callback = { buffer, size, count, context in
    withTransfer(context) { $0.supplyBody(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count)) }
}
