import CCurl
import CSignalIO
import Glibc
import Logging
import NIOCore
import NIOPosix

// The readiness bridge. NIO cannot watch a descriptor it does not own, so libcurl's sockets
// report readiness by signal instead: each is opened with O_ASYNC, F_SETSIG to a real-time signal
// and F_SETOWN_EX to the loop's thread, which keeps that signal (and SIGIO) blocked and reads
// them from a signalfd that NIO watches as a pipe channel. Each record names the socket and what
// happened on it.
//
// Signals are edges: one comes when something happens, not while a socket stays ready. So the
// driver asks (`poll` with no wait) wherever an edge may have passed unseen: when libcurl starts
// watching a socket or changes what it wants from it (the edge may have come before), when
// libcurl read from or wrote to a socket and still wants to (it moves at most a buffer per call
// and a write-space signal only follows a write that found no room), when a
// paused transfer resumes, and when the real-time queue overflows (the kernel then sends a plain
// SIGIO that names nothing, and every socket is asked about).

extension UpstreamLoopDriver {
    /// The multi handle, with the bridge started on first use; nil once stopped.
    func runningMulti() -> CurlMulti? {
        self.eventLoop.assertInEventLoop()
        switch self.state {
        case .running:
            return self.multi
        case .stopped:
            return nil
        case .idle:
            break
        }
        guard let bridge = ThreadSignalBridge.attach(self, on: self.eventLoop),
            let multi = CurlMulti(maxConnections: self.handlePoolSize)
        else {
            self.logger.error("could not start libcurl on the event loop")
            self.state = .stopped
            return nil
        }
        self.bridge = bridge
        self.threadID = mw_sigio_thread_id()
        multi.setCallbacks(socket: socketCallback, timer: timerCallback, context: Unmanaged.passUnretained(self).toOpaque())
        self.multi = multi
        self.state = .running
        return multi
    }

    /// Runs libcurl on one socket (or its timers) and notes what may need asking about after.
    func act(on socket: curl_socket_t, events: Int32) {
        guard let multi = self.multi else { return }
        self.libcurlDepth += 1
        multi.act(on: socket, events: events)
        self.libcurlDepth -= 1
        guard socket != mw_curl_socket_timeout, let wanted = self.interest[socket] else { return }
        // libcurl reads and writes at most one buffer per call: a socket it still wants after
        // reading may hold more, one it still wants after writing may have room, and no new
        // signal will say so (a write-space signal only follows a write that found no room).
        if (events & CURL_CSELECT_IN != 0 && wanted & CURL_POLL_IN != 0)
            || (events & CURL_CSELECT_OUT != 0 && wanted & CURL_POLL_OUT != 0)
        {
            self.unsettled.append(socket)
        }
    }

    /// Handles the records of one read from the signalfd.
    func signalsReceived(_ records: UnsafeRawBufferPointer, recordSize: Int) {
        var overflowed = false
        self.recordScratch.removeAll(keepingCapacity: true)
        var offset = 0
        while offset + recordSize <= records.count {
            let record = mw_sigio_decode(records.baseAddress! + offset)
            offset += recordSize
            if record.signal == mw_sigio_overflow_signal() {
                overflowed = true
                continue
            }
            self.statistics.signals += 1
            guard let wanted = self.interest[record.fd] else { continue }
            let events = Self.curlEvents(band: Int32(truncatingIfNeeded: record.band), wanted: wanted)
            guard events != 0 else { continue }
            // Several records for one socket (one per arriving packet) make one call.
            if let index = self.recordScratch.firstIndex(where: { $0.fd == record.fd }) {
                self.recordScratch[index].events |= events
            } else {
                self.recordScratch.append((record.fd, events))
            }
        }
        for (fd, events) in self.recordScratch where self.interest[fd] != nil {
            self.act(on: fd, events: events)
        }
        if overflowed {
            self.statistics.overflows += 1
            self.unsettleAllSockets()
        }
        self.settle()
    }

    func unsettleAllSockets() {
        self.unsettled.append(contentsOf: self.interest.keys)
    }

    /// Asks the kernel, without waiting, which unsettled sockets are ready, and lets libcurl act
    /// on those.
    func checkUnsettledSockets() {
        self.pollScratch.removeAll(keepingCapacity: true)
        for fd in self.unsettled {
            guard let wanted = self.interest[fd], !self.pollScratch.contains(where: { $0.fd == fd }) else { continue }
            var events: Int16 = 0
            if wanted & CURL_POLL_IN != 0 { events |= Int16(POLLIN) }
            if wanted & CURL_POLL_OUT != 0 { events |= Int16(POLLOUT) }
            self.pollScratch.append(pollfd(fd: fd, events: events, revents: 0))
        }
        self.unsettled.removeAll(keepingCapacity: true)
        guard !self.pollScratch.isEmpty else { return }
        let count = self.pollScratch.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), 0) }
        guard count > 0 else { return }
        // libcurl's calls below may change `pollScratch`'s sockets' interest, not the array.
        let polled = self.pollScratch
        for entry in polled where entry.revents != 0 {
            guard let wanted = self.interest[entry.fd] else { continue }
            let events = Self.curlEvents(band: Int32(entry.revents), wanted: wanted)
            guard events != 0 else { continue }
            self.statistics.readyWithoutSignal += 1
            self.act(on: entry.fd, events: events)
        }
    }

    /// libcurl's `CURL_CSELECT_*` for a poll band, limited to what libcurl wants; errors and
    /// hang-ups always count, as reading is how libcurl learns of them.
    static func curlEvents(band: Int32, wanted: Int32) -> Int32 {
        var events: Int32 = 0
        if band & (Int32(POLLIN | POLLPRI | POLLHUP) | pollReadHangUp) != 0 && wanted & CURL_POLL_IN != 0 {
            events |= CURL_CSELECT_IN
        }
        if band & Int32(POLLOUT) != 0 && wanted & CURL_POLL_OUT != 0 {
            events |= CURL_CSELECT_OUT
        }
        if band & Int32(POLLERR | POLLHUP) != 0 {
            events |= CURL_CSELECT_ERR
        }
        return events
    }

    // MARK: libcurl's callbacks (inside libcurl calls: record, never call libcurl)

    fileprivate func watch(_ fd: Int32, what: Int32) {
        if what == CURL_POLL_REMOVE {
            self.interest.removeValue(forKey: fd)
            return
        }
        if !self.ownSockets.contains(fd) {
            // A descriptor libcurl did not open through us (the threaded resolver's socket pair):
            // signal-driven from here on; asking below covers what came before.
            _ = mw_sigio_make_signal_driven(fd, self.threadID)
        }
        self.interest[fd] = what
        self.unsettled.append(fd)
    }

    fileprivate func timerRequested(milliseconds: Int) {
        guard milliseconds >= 0 else {
            // A timer already scheduled may fire for nothing; running libcurl's timers early is harmless.
            self.requestedDeadline = nil
            return
        }
        if milliseconds == 0 {
            self.requestedDeadline = nil
            self.timeoutDue = true
            return
        }
        // libcurl rounds the time left down to whole milliseconds: one more keeps from waking early.
        let deadline = NIODeadline.now() + .milliseconds(Int64(milliseconds) + 1)
        self.requestedDeadline = deadline
        self.scheduleTimer(at: deadline)
    }

    private func scheduleTimer(at deadline: NIODeadline) {
        if let scheduled = self.scheduledDeadline, scheduled <= deadline { return }
        self.scheduledTimer?.cancel()
        self.scheduledDeadline = deadline
        self.scheduledTimer = self.eventLoop.scheduleTask(deadline: deadline) { self.timerFired() }
    }

    private func timerFired() {
        self.scheduledTimer = nil
        self.scheduledDeadline = nil
        guard let requested = self.requestedDeadline else { return }
        if requested > .now() {
            // An earlier deadline was kept when libcurl moved its timer later.
            self.scheduleTimer(at: requested)
            return
        }
        self.requestedDeadline = nil
        self.act(on: mw_curl_socket_timeout, events: 0)
        self.settle()
        // libcurl only reports a timer that changed; ask, so that none is lost.
        if self.requestedDeadline == nil, !self.timeoutDue, let multi = self.multi, let milliseconds = multi.timeout() {
            let deadline = NIODeadline.now() + .milliseconds(Int64(max(1, milliseconds)))
            self.requestedDeadline = deadline
            self.scheduleTimer(at: deadline)
        }
    }

    fileprivate func openSocket(family: Int32, type: Int32, protocol: Int32) -> curl_socket_t {
        let fd = socket(family, type | Int32(SOCK_CLOEXEC.rawValue), `protocol`)
        guard fd >= 0 else { return mw_curl_socket_bad }
        guard mw_sigio_make_signal_driven(fd, self.threadID) == 0 else {
            close(fd)
            return mw_curl_socket_bad
        }
        self.ownSockets.insert(fd)
        return fd
    }

    fileprivate func closeSocket(_ fd: Int32) -> Int32 {
        self.ownSockets.remove(fd)
        self.interest.removeValue(forKey: fd)
        return close(fd)
    }
}

/// Calls `body` with the driver a callback's context names, borrowed rather than retained and
/// released around each call: the driver owns the multi handle that calls back.
private func withDriver<Result>(_ context: UnsafeMutableRawPointer?, _ body: (UpstreamLoopDriver) -> Result) -> Result {
    Unmanaged<UpstreamLoopDriver>.fromOpaque(context!)._withUnsafeGuaranteedRef(body)
}

private let socketCallback: curl_socket_callback = { _, fd, what, context, _ in
    withDriver(context) { $0.watch(fd, what: what) }
    return 0
}

private let timerCallback: curl_multi_timer_callback = { _, milliseconds, context in
    withDriver(context) { $0.timerRequested(milliseconds: milliseconds) }
    return 0
}

let openSocketCallback: curl_opensocket_callback = { context, purpose, address in
    guard let address else { return mw_curl_socket_bad }
    return withDriver(context) {
        $0.openSocket(family: address.pointee.family, type: address.pointee.socktype, protocol: address.pointee.protocol)
    }
}

let closeSocketCallback: curl_closesocket_callback = { context, fd in
    withDriver(context) { $0.closeSocket(fd) }
}

/// `POLLRDHUP`, which Glibc's module leaves out (it needs `_GNU_SOURCE`).
private let pollReadHangUp: Int32 = 0x2000
