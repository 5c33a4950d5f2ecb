import CCurl

/// Owns libcurl's multi handle: the one place where every upstream transfer runs.
///
/// All calls except `wakeup()` must come from the single thread that drives transfers;
/// `curl_multi_wakeup` is documented as safe to call from any thread.
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

    func add(_ easy: CurlEasy) -> Bool {
        curl_multi_add_handle(self.handle, easy.handle) == CURLM_OK
    }

    func remove(_ easy: CurlEasy) {
        curl_multi_remove_handle(self.handle, easy.handle)
    }

    /// Runs every transfer as far as it can go without blocking.
    func perform() {
        var running: Int32 = 0
        curl_multi_perform(self.handle, &running)
    }

    /// Blocks until a socket is ready, `wakeup()` is called, or the timeout passes.
    func poll(timeoutMilliseconds: Int32) {
        var ready: Int32 = 0
        curl_multi_poll(self.handle, nil, 0, timeoutMilliseconds, &ready)
    }

    /// Interrupts `poll` from another thread.
    func wakeup() {
        curl_multi_wakeup(self.handle)
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

    static func ensureInitialised() {
        _ = self.initialised
    }
}
