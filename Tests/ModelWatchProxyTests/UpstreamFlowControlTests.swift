import Testing

@testable import ModelWatchProxy

/// Each transition of a transfer's flow control: when the upload waits for the client and the
/// client for the upload, when the download waits for the client, and what cancelling stops.
@Suite("Upstream flow control")
struct UpstreamFlowControlTests {
    private static let high = UpstreamFlowControl.highWaterMark
    private static let low = UpstreamFlowControl.lowWaterMark

    /// A flow whose upload is paused for want of client bytes.
    private static func starved() -> UpstreamFlowControl {
        var flow = UpstreamFlowControl()
        #expect(flow.uploadRequested(capacity: 16 << 10) == .pause)
        return flow
    }

    // MARK: Upload

    @Test("body bytes are buffered and supplied to libcurl as far as its buffer holds them")
    func supplyBuffered() {
        var flow = UpstreamFlowControl()
        #expect(flow.bodyReceived(byteCount: 100) == .buffer(resumeTransfer: false, stopReading: false))
        #expect(flow.bodyReceived(byteCount: 50) == .buffer(resumeTransfer: false, stopReading: false))
        #expect(flow.uploadRequested(capacity: 120) == .supply(byteCount: 120, requestBodyDrained: false))
        #expect(flow.uploadRequested(capacity: 120) == .supply(byteCount: 30, requestBodyDrained: false))
        #expect(flow.uploadBuffered == 0)
    }

    @Test("libcurl asking with nothing buffered pauses the upload until the client's next bytes resume it")
    func starveAndResume() {
        var flow = Self.starved()
        #expect(flow.upload == .starved)
        #expect(flow.bodyReceived(byteCount: 10) == .buffer(resumeTransfer: true, stopReading: false))
        #expect(flow.upload == .streaming)
        #expect(flow.bodyReceived(byteCount: 10) == .buffer(resumeTransfer: false, stopReading: false), "resumed once only")
        #expect(flow.uploadRequested(capacity: 100) == .supply(byteCount: 20, requestBodyDrained: false))
    }

    @Test("the end of the body resumes a starved upload, which then ends")
    func endWhileStarved() {
        var flow = Self.starved()
        #expect(flow.bodyEnded() == .resumeTransfer)
        #expect(flow.upload == .ended)
        #expect(flow.uploadRequested(capacity: 100) == .end)
    }

    @Test("the end of the body while libcurl still has bytes to read needs no resume; they drain, then the upload ends")
    func endWhileStreaming() {
        var flow = UpstreamFlowControl()
        _ = flow.bodyReceived(byteCount: 10)
        #expect(flow.bodyEnded() == .none)
        #expect(flow.uploadRequested(capacity: 4) == .supply(byteCount: 4, requestBodyDrained: false))
        #expect(flow.uploadRequested(capacity: 100) == .supply(byteCount: 6, requestBodyDrained: false))
        #expect(flow.uploadRequested(capacity: 100) == .end)
    }

    @Test("an empty body ends the upload at libcurl's first read")
    func emptyBody() {
        var flow = UpstreamFlowControl()
        #expect(flow.bodyEnded() == .none)
        #expect(flow.uploadRequested(capacity: 100) == .end)
    }

    @Test("above the high-water mark the client is told to stop; it may go on once libcurl drains to the low one, told once")
    func clientThrottle() {
        var flow = UpstreamFlowControl()
        #expect(flow.bodyReceived(byteCount: Self.high) == .buffer(resumeTransfer: false, stopReading: false), "at the mark, not above")
        #expect(flow.bodyReceived(byteCount: 1) == .buffer(resumeTransfer: false, stopReading: true))
        #expect(flow.readingStopped)
        #expect(flow.bodyReceived(byteCount: 1) == .buffer(resumeTransfer: false, stopReading: true), "stays stopped")
        let aboveLow = Self.high + 2 - Self.low - 1
        #expect(flow.uploadRequested(capacity: aboveLow) == .supply(byteCount: aboveLow, requestBodyDrained: false))
        #expect(flow.uploadRequested(capacity: 1) == .supply(byteCount: 1, requestBodyDrained: true))
        #expect(!flow.readingStopped)
        #expect(flow.uploadRequested(capacity: 1) == .supply(byteCount: 1, requestBodyDrained: false), "told once")
    }

    @Test("a buffer drained below the low-water mark in one read reports it, and the client is read again")
    func drainAtOnce() {
        var flow = UpstreamFlowControl()
        _ = flow.bodyReceived(byteCount: Self.high + 10)
        #expect(flow.uploadRequested(capacity: Self.high + 10) == .supply(byteCount: Self.high + 10, requestBodyDrained: true))
        #expect(flow.bodyReceived(byteCount: 1) == .buffer(resumeTransfer: false, stopReading: false))
    }

    // MARK: Download

    @Test("response bytes are taken until the high-water mark is outstanding; then the download pauses")
    func downloadPause() {
        var flow = UpstreamFlowControl()
        #expect(flow.downloadReceived(byteCount: Self.high - 1) == .take)
        #expect(flow.downloadReceived(byteCount: 16 << 10) == .take, "below the mark before this buffer")
        #expect(flow.downloadOutstanding == Self.high - 1 + (16 << 10))
        #expect(flow.downloadReceived(byteCount: 16 << 10) == .pause)
        #expect(flow.downloadPaused)
        #expect(flow.downloadOutstanding == Self.high - 1 + (16 << 10), "a paused buffer is not counted: libcurl offers it again")
    }

    @Test("a paused download resumes once the client has taken all but the low-water mark, once")
    func downloadResume() {
        var flow = UpstreamFlowControl()
        _ = flow.downloadReceived(byteCount: Self.high)
        #expect(flow.downloadReceived(byteCount: 1) == .pause)
        #expect(flow.responseBytesDelivered(byteCount: Self.high - Self.low - 1) == .none)
        #expect(flow.downloadPaused)
        #expect(flow.responseBytesDelivered(byteCount: 1) == .resumeTransfer)
        #expect(!flow.downloadPaused)
        #expect(flow.responseBytesDelivered(byteCount: 1) == .none)
        #expect(flow.downloadReceived(byteCount: 1) == .take)
    }

    @Test("acknowledgements of a download that never paused resume nothing")
    func acknowledgeUnpaused() {
        var flow = UpstreamFlowControl()
        _ = flow.downloadReceived(byteCount: 100)
        #expect(flow.responseBytesDelivered(byteCount: 100) == .none)
        #expect(flow.downloadOutstanding == 0)
    }

    // MARK: Early answers

    @Test("a final status of 300 or more resumes an upload starved mid-body, so libcurl can finish", arguments: [300, 404, 413, 500])
    func earlyAnswerResumesStarvedUpload(status: Int) {
        var flow = Self.starved()
        #expect(flow.responseHeadReceived(status: status) == .resumeTransfer)
        #expect(flow.upload == .streaming)
        #expect(flow.responseHeadReceived(status: status) == .none, "resumed once")
    }

    @Test("a success, or an answer when the upload is not waiting, resumes nothing")
    func headWithoutResume() {
        var starved = Self.starved()
        #expect(starved.responseHeadReceived(status: 200) == .none)
        #expect(starved.upload == .starved)
        var streaming = UpstreamFlowControl()
        _ = streaming.bodyReceived(byteCount: 10)
        #expect(streaming.responseHeadReceived(status: 500) == .none)
        var ended = UpstreamFlowControl()
        _ = ended.bodyEnded()
        #expect(ended.responseHeadReceived(status: 500) == .none)
    }

    // MARK: Cancellation

    @Test("cancelling abandons the transfer in the driver, once")
    func cancel() {
        var flow = UpstreamFlowControl()
        #expect(flow.cancel() == .cancelTransfer)
        #expect(flow.isCancelled)
        #expect(flow.cancel() == .none)
    }

    @Test("after a cancel, client bytes are dropped, libcurl's read aborts, and nothing is resumed")
    func afterCancel() {
        var flow = Self.starved()
        _ = flow.downloadReceived(byteCount: Self.high)
        _ = flow.downloadReceived(byteCount: 1)
        _ = flow.cancel()
        #expect(flow.bodyReceived(byteCount: 10) == .discard)
        #expect(flow.uploadBuffered == 0)
        #expect(flow.uploadRequested(capacity: 100) == .abort)
        #expect(flow.bodyEnded() == .none)
        #expect(flow.responseBytesDelivered(byteCount: Self.high) == .none)
    }

    @Test("a cancel with bytes still buffered aborts the upload instead of sending them")
    func cancelWithBufferedBytes() {
        var flow = UpstreamFlowControl()
        _ = flow.bodyReceived(byteCount: 100)
        _ = flow.cancel()
        #expect(flow.uploadRequested(capacity: 100) == .abort)
    }
}
