/// The flow control of one upstream transfer, as a value: when libcurl's upload waits for the
/// client's bytes, when the client must stop sending, when the download waits for the client to
/// catch up, and what a cancellation leaves behind.
///
/// `UpstreamTransfer` feeds it what happens on both sides — the client connection's calls
/// (`bodyReceived`, `bodyEnded`, `responseBytesDelivered`, `cancel`) and libcurl's callbacks
/// (`uploadRequested`, `downloadReceived`, `responseHeadReceived`) — and carries out the action
/// each input returns: resuming or abandoning the transfer through the driver, or answering
/// libcurl's callback with a count or a pause. Nothing here touches libcurl, the driver or the
/// bytes themselves, so every transition is tested on its own; and each decision that used to be
/// spread over five flags is made in one place. Inputs and actions are plain values: the callbacks
/// run once per libcurl buffer and must not allocate.
///
/// Pausing in both directions is libcurl's own (`CURL_READFUNC_PAUSE`, `CURL_WRITEFUNC_PAUSE`):
/// a paused transfer stays paused until `curl_easy_pause` lets it go, which is what
/// `.resumeTransfer` asks the driver for.
struct UpstreamFlowControl {
    /// Above this many buffered bytes in either direction, the producer is asked to pause.
    static let highWaterMark = 1 << 20
    /// Once the buffer falls to this many bytes, the producer may go on.
    static let lowWaterMark = 256 << 10

    /// Where the request body stands.
    enum Upload: Equatable {
        /// The client's body is still arriving; libcurl reads what is buffered.
        case streaming
        /// libcurl asked for bytes, found none and paused the transfer: the client's next bytes,
        /// the end of its body or an early answer from the backend must resume it.
        case starved
        /// The client's body is complete: what is buffered drains, then the upload ends.
        case ended
    }

    /// What the transfer does next, for an input from the client or the head callback.
    enum Action: Equatable {
        case none
        /// Let libcurl go on with a transfer paused in either direction.
        case resumeTransfer
        /// Abandon the transfer in the driver: its handle leaves libcurl, its slot is freed.
        case cancelTransfer
    }

    /// What becomes of request body bytes the client sent.
    enum BodyAction: Equatable {
        /// The transfer is cancelled: the bytes are dropped.
        case discard
        /// The bytes join the upload buffer. `resumeTransfer` when libcurl waits for them;
        /// `stopReading` while the buffer is over its high-water mark, until `.requestBodyDrained`.
        case buffer(resumeTransfer: Bool, stopReading: Bool)
    }

    /// The answer to libcurl's read callback.
    enum UploadAction: Equatable {
        /// Copy this many buffered bytes (more than zero) to libcurl. `requestBodyDrained` when the
        /// buffer has fallen to its low-water mark and the client may be read from again.
        case supply(byteCount: Int, requestBodyDrained: Bool)
        /// Nothing is buffered yet: pause the upload until the client sends more.
        case pause
        /// The body is complete and sent: tell libcurl the upload has ended.
        case end
        /// The transfer is cancelled: abort it.
        case abort
    }

    /// The answer to libcurl's write callback.
    enum DownloadAction: Equatable {
        /// Take the bytes and hand them to the connection.
        case take
        /// The client lags: pause the download; libcurl offers the same bytes again on resuming.
        case pause
    }

    private(set) var upload = Upload.streaming
    /// Request bytes received from the client and not yet handed to libcurl.
    private(set) var uploadBuffered = 0
    /// The client connection was told to stop reading the client's body.
    private(set) var readingStopped = false
    /// Response bytes handed to the connection but not yet written to the client.
    private(set) var downloadOutstanding = 0
    private(set) var downloadPaused = false
    private(set) var isCancelled = false

    // MARK: The client connection

    /// The client sent `byteCount` more request body bytes.
    mutating func bodyReceived(byteCount: Int) -> BodyAction {
        guard !self.isCancelled else { return .discard }
        self.uploadBuffered += byteCount
        if self.uploadBuffered > Self.highWaterMark {
            self.readingStopped = true
        }
        let starved = self.upload == .starved
        if starved {
            self.upload = .streaming
        }
        return .buffer(resumeTransfer: starved, stopReading: self.readingStopped)
    }

    /// The client's request body is complete.
    mutating func bodyEnded() -> Action {
        guard !self.isCancelled else { return .none }
        let starved = self.upload == .starved
        self.upload = .ended
        return starved ? .resumeTransfer : .none
    }

    /// The client socket has taken `byteCount` response bytes.
    mutating func responseBytesDelivered(byteCount: Int) -> Action {
        self.downloadOutstanding -= byteCount
        guard !self.isCancelled, self.downloadPaused, self.downloadOutstanding <= Self.lowWaterMark else { return .none }
        self.downloadPaused = false
        return .resumeTransfer
    }

    /// The connection abandons the exchange; only the first call does anything.
    mutating func cancel() -> Action {
        guard !self.isCancelled else { return .none }
        self.isCancelled = true
        return .cancelTransfer
    }

    // MARK: libcurl's callbacks

    /// libcurl asks for up to `capacity` request body bytes. The upload buffer holds exactly
    /// `uploadBuffered` bytes, so the count to copy is decided here.
    mutating func uploadRequested(capacity: Int) -> UploadAction {
        guard !self.isCancelled else { return .abort }
        let count = min(capacity, self.uploadBuffered)
        guard count > 0 else {
            // Reading cannot be stopped here: it stops only above the high-water mark and
            // restarts at the low one, so a stopped client always has bytes buffered.
            guard self.upload != .ended else { return .end }
            self.upload = .starved
            return .pause
        }
        self.uploadBuffered -= count
        let drained = self.readingStopped && self.uploadBuffered <= Self.lowWaterMark
        if drained {
            self.readingStopped = false
        }
        return .supply(byteCount: count, requestBodyDrained: drained)
    }

    /// libcurl offers `byteCount` response body bytes.
    mutating func downloadReceived(byteCount: Int) -> DownloadAction {
        if self.downloadOutstanding >= Self.highWaterMark {
            self.downloadPaused = true
            return .pause
        }
        self.downloadOutstanding += byteCount
        return .take
    }

    /// The backend's final response head arrived.
    ///
    /// libcurl stops sending a request body when a final status of 300 or more arrives before
    /// the body has ended ("HTTP error before end of send"), but an upload paused for want of
    /// client bytes stays paused, and a paused transfer never completes: the exchange would wait
    /// for the client's next bytes or the upstream timeout. Resuming lets libcurl finish it; the
    /// read callback is not asked again, since sending has stopped.
    mutating func responseHeadReceived(status: Int) -> Action {
        guard status >= 300, self.upload == .starved else { return .none }
        self.upload = .streaming
        return .resumeTransfer
    }
}
