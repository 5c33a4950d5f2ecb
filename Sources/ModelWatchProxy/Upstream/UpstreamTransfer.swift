import CCurl
public import NIOCore

/// One exchange with the backend: the connection that owns it feeds the request body in and gets
/// `UpstreamEvent`s out, on the event loop where libcurl runs it.
///
/// Flow control goes both ways. Request bytes wait in a bounded buffer that libcurl's read
/// callback drains; response bytes are counted until the client socket has taken them, and the
/// transfer is paused inside libcurl while too many are outstanding, so a slow client never makes
/// the sidecar buffer a whole response.
public final class UpstreamTransfer: @unchecked Sendable {
    // @unchecked Sendable: every member is touched only on the driver's event loop; the public
    // methods that may be called from elsewhere hop there first.

    /// Above this many buffered bytes in either direction, the producer is asked to pause.
    static let highWaterMark = 1 << 20
    /// Once the buffer falls to this many bytes, the producer may go on.
    static let lowWaterMark = 256 << 10

    let request: UpstreamRequest
    private let driver: UpstreamLoopDriver
    private let deliver: @Sendable (UpstreamTransfer, [UpstreamEvent]) -> Void

    private var uploadChunks = CircularBuffer<ByteBuffer>()
    private var uploadBuffered = 0
    private var uploadEnded = false
    /// libcurl's read callback found nothing to send and paused the transfer.
    private var uploadPaused = false
    /// The owning connection was told to stop reading the client's body.
    private var uploadThrottled = false
    /// Response bytes handed to the connection but not yet written to the client.
    private var downloadOutstanding = 0
    private(set) var downloadPaused = false
    private(set) var isCancelled = false

    var easy: CurlEasy?
    var headParser = ResponseHeadParser()
    private var pendingEvents: [UpstreamEvent] = []

    init(request: UpstreamRequest, driver: UpstreamLoopDriver, deliver: @escaping @Sendable (UpstreamTransfer, [UpstreamEvent]) -> Void) {
        self.request = request
        self.driver = driver
        self.deliver = deliver
    }

    /// The loop that runs this transfer and delivers its events.
    public var eventLoop: any EventLoop { self.driver.eventLoop }

    // MARK: Called by the owning connection

    /// Queues request body bytes for the backend. Call on the transfer's event loop.
    /// - Returns: `true` when the caller should stop reading from its client until
    ///   `.requestBodyDrained` arrives.
    public func sendBody(_ buffer: ByteBuffer) -> Bool {
        self.driver.eventLoop.preconditionInEventLoop()
        guard !self.isCancelled else { return false }
        self.uploadChunks.append(buffer)
        self.uploadBuffered += buffer.readableBytes
        if self.uploadBuffered > Self.highWaterMark {
            self.uploadThrottled = true
        }
        if self.uploadPaused {
            self.uploadPaused = false
            self.driver.resume(self)
        }
        return self.uploadThrottled
    }

    /// Marks the end of the request body.
    public func finishBody() {
        self.onLoop {
            $0.uploadEnded = true
            if $0.uploadPaused {
                $0.uploadPaused = false
                $0.driver.resume($0)
            }
        }
    }

    /// Tells the transfer that the client has taken `count` response bytes.
    public func acknowledge(bytes count: Int) {
        self.onLoop {
            $0.downloadOutstanding -= count
            if $0.downloadPaused && $0.downloadOutstanding <= Self.lowWaterMark {
                $0.downloadPaused = false
                $0.driver.resume($0)
            }
        }
    }

    /// Abandons the transfer: no further events are delivered.
    public func cancel() {
        self.onLoop {
            guard !$0.isCancelled else { return }
            $0.isCancelled = true
            $0.driver.cancel($0)
        }
    }

    private func onLoop(_ body: @escaping @Sendable (UpstreamTransfer) -> Void) {
        if self.driver.eventLoop.inEventLoop {
            body(self)
        } else {
            self.driver.eventLoop.execute { body(self) }
        }
    }

    // MARK: Driver

    func emit(_ event: UpstreamEvent) {
        if self.pendingEvents.isEmpty {
            self.driver.markReady(self)
        }
        self.pendingEvents.append(event)
    }

    /// Hands everything emitted since the last flush to the owning connection at once.
    func flushEvents() {
        guard !self.pendingEvents.isEmpty else { return }
        let events = self.pendingEvents
        self.pendingEvents.removeAll(keepingCapacity: true)
        if !self.isCancelled {
            self.deliver(self, events)
        }
    }

    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        if let head = self.headParser.consume(line) {
            self.emit(.head(head))
            if head.status >= 300 {
                self.resumeAbandonedUpload()
            }
        }
    }

    /// libcurl stops sending a request body when a final status of 300 or more arrives before
    /// the body has ended ("HTTP error before end of send"), but an upload paused for want of
    /// client bytes stays paused, and a paused transfer never completes: the exchange would wait
    /// for the client's next bytes or the upstream timeout. Resuming lets libcurl finish it; the
    /// read callback is not asked again, since sending has stopped. (From inside libcurl's header
    /// callback, the driver resumes once libcurl has returned.)
    private func resumeAbandonedUpload() {
        guard self.uploadPaused, !self.uploadEnded else { return }
        self.uploadPaused = false
        self.driver.resume(self)
    }

    /// - Returns: the number of bytes taken, or libcurl's pause code while the client lags.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if self.downloadOutstanding >= Self.highWaterMark {
            self.downloadPaused = true
            return Int(mw_curl_writefunc_pause)
        }
        self.downloadOutstanding += bytes.count
        if bytes.count > 0 {
            self.emit(.body(ByteBuffer(bytes: bytes)))
        }
        return bytes.count
    }

    /// - Returns: bytes copied, 0 at the end of the body, or libcurl's pause/abort codes.
    func supplyBody(into destination: UnsafeMutableRawBufferPointer) -> Int {
        if self.isCancelled { return Int(mw_curl_readfunc_abort) }
        var copied = 0
        while copied < destination.count, var chunk = self.uploadChunks.first {
            let count = min(chunk.readableBytes, destination.count - copied)
            chunk.withUnsafeReadableBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: destination[copied..<(copied + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<count]))
            }
            chunk.moveReaderIndex(forwardBy: count)
            if chunk.readableBytes == 0 {
                self.uploadChunks.removeFirst()
            } else {
                self.uploadChunks[self.uploadChunks.startIndex] = chunk
            }
            copied += count
        }
        self.uploadBuffered -= copied
        if self.uploadThrottled && self.uploadBuffered <= Self.lowWaterMark {
            self.uploadThrottled = false
            self.emit(.requestBodyDrained)
        }
        if copied == 0 && !self.uploadEnded {
            self.uploadPaused = true
            return Int(mw_curl_readfunc_pause)
        }
        return copied
    }
}
