import CCurl
public import NIOCore

/// One exchange with the backend: the connection that owns it feeds the request body in and gets
/// `UpstreamEvent`s out, on the event loop where libcurl runs it.
///
/// Flow control goes both ways. Request bytes wait in a bounded buffer that libcurl's read
/// callback drains; response bytes are counted until the client socket has taken them, and the
/// transfer is paused inside libcurl while too many are outstanding, so a slow client never makes
/// the sidecar buffer a whole response. When to pause and resume is `UpstreamFlowControl`'s
/// decision; this class carries its actions out with libcurl and the driver, and holds the bytes.
public final class UpstreamTransfer: @unchecked Sendable {
    // @unchecked Sendable: every member is touched only on the driver's event loop; the public
    // methods that may be called from elsewhere hop there first.

    let request: UpstreamRequest
    private let driver: UpstreamLoopDriver
    /// Who gets the events. Let go of once the last event is out or the transfer is cancelled:
    /// a caller may keep the transfer while this closure keeps the caller (the readiness probe
    /// did), and that cycle leaked both on every exchange until it was broken here.
    private var deliver: (@Sendable (UpstreamTransfer, [UpstreamEvent]) -> Void)?

    private var flow = UpstreamFlowControl()
    /// The request body bytes `flow` counts as buffered, in order.
    private var uploadChunks = CircularBuffer<ByteBuffer>()

    var easy: CurlEasy?
    var headParser = ResponseHeadParser()
    private var pendingEvents: [UpstreamEvent] = []
    /// The array the last flush handed over, emptied, for the next events: taking the pending
    /// array's contents while it kept its capacity allocated a new array on every flush.
    private var spareEvents: [UpstreamEvent] = []

    init(request: UpstreamRequest, driver: UpstreamLoopDriver, deliver: @escaping @Sendable (UpstreamTransfer, [UpstreamEvent]) -> Void) {
        self.request = request
        self.driver = driver
        self.deliver = deliver
    }

    /// The loop that runs this transfer and delivers its events.
    public var eventLoop: any EventLoop { self.driver.eventLoop }

    /// libcurl's download is paused until the client takes more of the response.
    var downloadPaused: Bool { self.flow.downloadPaused }
    var isCancelled: Bool { self.flow.isCancelled }

    // MARK: Called by the owning connection

    /// Queues request body bytes for the backend. Call on the transfer's event loop.
    /// - Returns: `true` when the caller should stop reading from its client until
    ///   `.requestBodyDrained` arrives.
    public func sendBody(_ buffer: ByteBuffer) -> Bool {
        self.driver.eventLoop.preconditionInEventLoop()
        switch self.flow.bodyReceived(byteCount: buffer.readableBytes) {
        case .discard:
            return false
        case .buffer(let resumeTransfer, let stopReading):
            self.uploadChunks.append(buffer)
            if resumeTransfer {
                self.driver.resume(self)
            }
            return stopReading
        }
    }

    /// Marks the end of the request body.
    public func finishBody() {
        self.onLoop { $0.run($0.flow.bodyEnded()) }
    }

    /// Tells the transfer that the client has taken `count` response bytes.
    public func acknowledge(bytes count: Int) {
        self.onLoop { $0.run($0.flow.responseBytesDelivered(byteCount: count)) }
    }

    /// Abandons the transfer: no further events are delivered.
    public func cancel() {
        self.onLoop { transfer in
            transfer.deliver = nil
            transfer.run(transfer.flow.cancel())
        }
    }

    private func onLoop(_ body: @escaping @Sendable (UpstreamTransfer) -> Void) {
        if self.driver.eventLoop.inEventLoop {
            body(self)
        } else {
            self.driver.eventLoop.execute { body(self) }
        }
    }

    /// Carries out what the flow control decided about the transfer as a whole. (A resume asked
    /// for from inside one of libcurl's callbacks is done by the driver once libcurl has returned.)
    private func run(_ action: UpstreamFlowControl.Action) {
        switch action {
        case .none:
            break
        case .resumeTransfer:
            self.driver.resume(self)
        case .cancelTransfer:
            self.driver.cancel(self)
        }
    }

    // MARK: Driver

    func emit(_ event: UpstreamEvent) {
        if self.pendingEvents.isEmpty {
            self.driver.markReady(self)
            // A head, a body and an end usually come in one flush: one allocation, not three.
            self.pendingEvents.reserveCapacity(4)
        }
        self.pendingEvents.append(event)
    }

    /// Hands everything emitted since the last flush to the owning connection at once.
    func flushEvents() {
        guard !self.pendingEvents.isEmpty else { return }
        var events = self.spareEvents
        self.spareEvents = []
        swap(&events, &self.pendingEvents)
        defer {
            events.removeAll(keepingCapacity: true)
            self.spareEvents = events
        }
        guard !self.isCancelled, let deliver = self.deliver else { return }
        if events.contains(where: \.endsTransfer) {
            self.deliver = nil
        }
        deliver(self, events)
    }

    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        if let head = self.headParser.consume(line) {
            self.emit(.head(head))
            self.run(self.flow.responseHeadReceived(status: head.status))
        }
    }

    /// - Returns: the number of bytes taken, or libcurl's pause code while the client lags.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        switch self.flow.downloadReceived(byteCount: bytes.count) {
        case .pause:
            return Int(mw_curl_writefunc_pause)
        case .take:
            if bytes.count > 0 {
                self.emit(.body(ByteBuffer(bytes: bytes)))
            }
            return bytes.count
        }
    }

    /// - Returns: bytes copied, 0 at the end of the body, or libcurl's pause/abort codes.
    func supplyBody(into destination: UnsafeMutableRawBufferPointer) -> Int {
        switch self.flow.uploadRequested(capacity: destination.count) {
        case .abort:
            return Int(mw_curl_readfunc_abort)
        case .pause:
            return Int(mw_curl_readfunc_pause)
        case .end:
            return 0
        case .supply(let byteCount, let requestBodyDrained):
            self.copyUpload(byteCount, into: destination)
            if requestBodyDrained {
                self.emit(.requestBodyDrained)
            }
            return byteCount
        }
    }

    /// Moves the first `count` buffered request bytes into libcurl's buffer; the chunks hold at
    /// least that many, since the flow control counts every byte they hold.
    private func copyUpload(_ count: Int, into destination: UnsafeMutableRawBufferPointer) {
        var copied = 0
        while copied < count, var chunk = self.uploadChunks.first {
            let part = min(chunk.readableBytes, count - copied)
            chunk.withUnsafeReadableBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: destination[copied..<(copied + part)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<part]))
            }
            chunk.moveReaderIndex(forwardBy: part)
            if chunk.readableBytes == 0 {
                self.uploadChunks.removeFirst()
            } else {
                self.uploadChunks[self.uploadChunks.startIndex] = chunk
            }
            copied += part
        }
    }
}
