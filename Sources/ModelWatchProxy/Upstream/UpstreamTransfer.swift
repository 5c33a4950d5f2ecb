import CCurl
import NIOConcurrencyHelpers
public import NIOCore

/// One exchange with the backend: the connection that owns it feeds the request body in and gets
/// `UpstreamEvent`s out, while the transfer driver thread runs it inside libcurl.
///
/// Flow control goes both ways. Request bytes wait in a bounded buffer that libcurl's read
/// callback drains; response bytes are counted until the client socket has taken them, and the
/// transfer is paused inside libcurl while too many are outstanding, so a slow client never makes
/// the sidecar buffer a whole response.
public final class UpstreamTransfer: @unchecked Sendable {
    // @unchecked Sendable: the fields below `flow` are touched only on the transfer driver thread;
    // `flow` is the only state shared with event loops and it sits behind a lock.

    /// Above this many buffered bytes in either direction, the producer is asked to pause.
    static let highWaterMark = 1 << 20
    /// Once the buffer falls to this many bytes, the producer may go on.
    static let lowWaterMark = 256 << 10

    private struct FlowState {
        var uploadChunks = CircularBuffer<ByteBuffer>()
        var uploadBuffered = 0
        var uploadEnded = false
        /// libcurl's read callback found nothing to send and paused the transfer.
        var uploadPaused = false
        /// The owning connection was told to stop reading the client's body.
        var uploadThrottled = false
        /// Response bytes handed to the connection but not yet written to the client.
        var downloadOutstanding = 0
        var downloadPaused = false
        var cancelled = false
    }

    let request: UpstreamRequest
    private let flow = NIOLockedValueBox(FlowState())
    private let commands: UpstreamCommandQueue
    private let deliver: @Sendable (UpstreamTransfer, [UpstreamEvent]) -> Void

    // Driver-thread state.
    var easy: CurlEasy?
    var headParser = ResponseHeadParser()
    private var pendingEvents: [UpstreamEvent] = []
    private weak var driver: UpstreamTransferDriver?

    init(request: UpstreamRequest, commands: UpstreamCommandQueue, deliver: @escaping @Sendable (UpstreamTransfer, [UpstreamEvent]) -> Void)
    {
        self.request = request
        self.commands = commands
        self.deliver = deliver
    }

    // MARK: Called by the owning connection

    /// Queues request body bytes for the backend.
    /// - Returns: `true` when the caller should stop reading from its client until
    ///   `.requestBodyDrained` arrives.
    public func sendBody(_ buffer: ByteBuffer) -> Bool {
        let (resume, throttle) = self.flow.withLockedValue { state -> (Bool, Bool) in
            guard !state.cancelled else { return (false, false) }
            state.uploadChunks.append(buffer)
            state.uploadBuffered += buffer.readableBytes
            let resume = state.uploadPaused
            state.uploadPaused = false
            if state.uploadBuffered > Self.highWaterMark {
                state.uploadThrottled = true
            }
            return (resume, state.uploadThrottled)
        }
        if resume {
            self.commands.submit(.resume(self))
        }
        return throttle
    }

    /// Marks the end of the request body.
    public func finishBody() {
        let resume = self.flow.withLockedValue { state -> Bool in
            state.uploadEnded = true
            defer { state.uploadPaused = false }
            return state.uploadPaused
        }
        if resume {
            self.commands.submit(.resume(self))
        }
    }

    /// Tells the transfer that the client has taken `count` response bytes.
    public func acknowledge(bytes count: Int) {
        let resume = self.flow.withLockedValue { state -> Bool in
            state.downloadOutstanding -= count
            if state.downloadPaused && state.downloadOutstanding <= Self.lowWaterMark {
                state.downloadPaused = false
                return true
            }
            return false
        }
        if resume {
            self.commands.submit(.resume(self))
        }
    }

    /// Abandons the transfer: no further events are delivered.
    public func cancel() {
        let first = self.flow.withLockedValue { state -> Bool in
            defer { state.cancelled = true }
            return !state.cancelled
        }
        if first {
            self.commands.submit(.cancel(self))
        }
    }

    var isCancelled: Bool {
        self.flow.withLockedValue { $0.cancelled }
    }

    // MARK: Driver thread

    func attach(to driver: UpstreamTransferDriver, easy: CurlEasy?) {
        self.driver = driver
        self.easy = easy
    }

    func emit(_ event: UpstreamEvent) {
        if self.pendingEvents.isEmpty {
            self.driver?.markReady(self)
        }
        self.pendingEvents.append(event)
    }

    /// Hands everything emitted since the last flush to the owning connection in one hop.
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
    /// read callback is not asked again, since sending has stopped.
    private func resumeAbandonedUpload() {
        let resume = self.flow.withLockedValue { state -> Bool in
            guard state.uploadPaused, !state.uploadEnded else { return false }
            state.uploadPaused = false
            return true
        }
        if resume {
            self.commands.submit(.resume(self))
        }
    }

    /// - Returns: the number of bytes taken, or libcurl's pause code while the client lags.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        let accepted = self.flow.withLockedValue { state -> Bool in
            if state.downloadOutstanding >= Self.highWaterMark {
                state.downloadPaused = true
                return false
            }
            state.downloadOutstanding += bytes.count
            return true
        }
        guard accepted else { return Int(mw_curl_writefunc_pause) }
        if bytes.count > 0 {
            self.emit(.body(ByteBuffer(bytes: bytes)))
        }
        return bytes.count
    }

    /// - Returns: bytes copied, 0 at the end of the body, or libcurl's pause/abort codes.
    func supplyBody(into destination: UnsafeMutableRawBufferPointer) -> Int {
        var drained = false
        let result = self.flow.withLockedValue { state -> Int in
            if state.cancelled { return Int(mw_curl_readfunc_abort) }
            var copied = 0
            while copied < destination.count, var chunk = state.uploadChunks.first {
                let count = min(chunk.readableBytes, destination.count - copied)
                chunk.withUnsafeReadableBytes { source in
                    UnsafeMutableRawBufferPointer(rebasing: destination[copied..<(copied + count)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<count]))
                }
                chunk.moveReaderIndex(forwardBy: count)
                if chunk.readableBytes == 0 {
                    state.uploadChunks.removeFirst()
                } else {
                    state.uploadChunks[state.uploadChunks.startIndex] = chunk
                }
                copied += count
            }
            state.uploadBuffered -= copied
            if state.uploadThrottled && state.uploadBuffered <= Self.lowWaterMark {
                state.uploadThrottled = false
                drained = true
            }
            if copied == 0 && !state.uploadEnded {
                state.uploadPaused = true
                return Int(mw_curl_readfunc_pause)
            }
            return copied
        }
        if drained {
            self.emit(.requestBodyDrained)
        }
        return result
    }
}
