import CCurl

/// Owns libcurl's multi handle, driven with `curl_multi_socket_action` by one event loop.
///
/// Every call must come from the loop that owns the driver (`UpstreamLoopDriver`): libcurl
/// handles are not thread-safe, and the socket and timer callbacks run inside these calls.
final class CurlMulti {
    let handle: UnsafeMutableRawPointer

    init?(maxConnections: Int) {
        CurlGlobal.ensureInitialised()
        guard let handle = curl_multi_init() else { return nil }
        self.handle = handle
        // A bounded pool of upstream connections: extra transfers queue inside libcurl
        // instead of opening connection after connection against a struggling backend.
        _ = mw_curl_multi_setopt_long(handle, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxConnections)
        _ = mw_curl_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, maxConnections)
    }

    deinit {
        curl_multi_cleanup(self.handle)
    }

    /// Installs the callbacks through which libcurl says which sockets to watch and when to
    /// call it back; `context` is handed to both.
    func setCallbacks(socket: curl_socket_callback, timer: curl_multi_timer_callback, context: UnsafeMutableRawPointer) {
        _ = mw_curl_multi_setopt_socket_callback(self.handle, socket)
        _ = mw_curl_multi_setopt_pointer(self.handle, CURLMOPT_SOCKETDATA, context)
        _ = mw_curl_multi_setopt_timer_callback(self.handle, timer)
        _ = mw_curl_multi_setopt_pointer(self.handle, CURLMOPT_TIMERDATA, context)
    }

    func add(_ easy: CurlEasy) -> Bool {
        curl_multi_add_handle(self.handle, easy.handle) == CURLM_OK
    }

    func remove(_ easy: CurlEasy) {
        curl_multi_remove_handle(self.handle, easy.handle)
    }

    /// Lets libcurl act on a socket that is ready (`events` in `CURL_CSELECT_*`), or on its
    /// expired timers when `socket` is `mw_curl_socket_timeout`.
    func act(on socket: curl_socket_t, events: Int32) {
        var running: Int32 = 0
        curl_multi_socket_action(self.handle, socket, events, &running)
    }

    /// Milliseconds until libcurl wants its timers run, or nil when it has none.
    func timeout() -> Int? {
        var milliseconds = -1
        curl_multi_timeout(self.handle, &milliseconds)
        return milliseconds < 0 ? nil : milliseconds
    }

    /// Takes the next finished transfer, with libcurl's result for it.
    func nextCompletion() -> (easy: UnsafeMutableRawPointer, result: CURLcode)? {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(self.handle, &remaining) {
            if message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle {
                return (easy, message.pointee.data.result)
            }
        }
        return nil
    }
}

/// `curl_global_init` must run once, before any other thread uses libcurl.
enum CurlGlobal {
    private static let initialised: Bool = {
        curl_global_init(mw_curl_global_all) == CURLE_OK
    }()

    /// - Returns: whether libcurl initialised.
    @discardableResult
    static func ensureInitialised() -> Bool {
        self.initialised
    }
}
