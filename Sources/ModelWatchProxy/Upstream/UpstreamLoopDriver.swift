import CCurl
import CSignalIO
import Logging
import NIOCore
import NIOPosix

/// Runs libcurl on one event loop: one multi handle driven with `curl_multi_socket_action`,
/// libcurl's timers as the loop's scheduled tasks, and its sockets' readiness delivered by the
/// signal bridge (see `UpstreamLoopDriver+Readiness.swift`). No thread of its own and no hand-off:
/// the connection that starts a transfer gets its events on the same loop.
final class UpstreamLoopDriver: @unchecked Sendable {
    // @unchecked Sendable: other threads only read `eventLoop` (a constant) to hop onto it; every
    // other member is touched on that loop alone, which each entry point asserts or hops to.

    enum State {
        /// Nothing set up yet: the bridge starts with the first transfer, on the loop's thread.
        case idle
        case running
        case stopped
    }

    let eventLoop: any EventLoop
    let configuration: UpstreamConfiguration
    let handlePoolSize: Int
    let defaultTimeoutMilliseconds: Int
    let logger: Logger

    var state = State.idle
    var multi: CurlMulti?
    /// The loop thread's kernel id: where libcurl's sockets send their readiness signals.
    var threadID: Int32 = 0
    /// The loop thread's signalfd, shared with other drivers on the same loop.
    var bridge: ThreadSignalBridge?
    var active: [UnsafeMutableRawPointer: UpstreamTransfer] = [:]
    var idleHandles: [CurlEasy] = []
    /// Transfers with events to hand over once libcurl has returned.
    var ready: [UpstreamTransfer] = []
    /// The array `settle()` last flushed from, emptied, to become `ready` again without an
    /// allocation per turn.
    private var spareReady: [UpstreamTransfer] = []
    /// Transfers to resume once libcurl has returned (a resume asked for from inside a callback).
    var deferredResumes: [UpstreamTransfer] = []

    // Readiness state, kept by `UpstreamLoopDriver+Readiness.swift`.
    /// What libcurl wants to know about each socket it watches (`CURL_POLL_*`).
    var interest: [Int32: Int32] = [:]
    /// Sockets libcurl opened through our callback, signal-driven from their creation.
    var ownSockets: Set<Int32> = []
    /// Sockets whose readiness must be asked for now, because no signal may come: their interest
    /// changed, they were left partly drained, or the signal queue overflowed.
    var unsettled: [Int32] = []
    var pollScratch: [pollfd] = []
    var recordScratch: [(fd: Int32, events: Int32)] = []
    /// libcurl asked for its timers to run as soon as it has returned.
    var timeoutDue = false
    var requestedDeadline: NIODeadline?
    var scheduledTimer: Scheduled<Void>?
    var scheduledDeadline: NIODeadline?
    /// Depth of libcurl calls in progress: libcurl must not be called from its own callbacks.
    var libcurlDepth = 0
    var settling = false
    var settleScheduled = false
    /// What the bridge did, for tests and debugging.
    var statistics = ReadinessStatistics()

    // Pool state, kept by `UpstreamLoopDriver+Slots.swift`.
    /// Transfers running and waiting for one of this loop's connections.
    var slots: UpstreamConnectionSlots<PendingTransfer>
    var poolTimer: Scheduled<Void>?
    var poolTimerDeadline: NIODeadline?

    init(eventLoop: any EventLoop, configuration: UpstreamConfiguration, handlePoolSize: Int, logger: Logger) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.handlePoolSize = handlePoolSize
        self.slots = UpstreamConnectionSlots(capacity: max(1, handlePoolSize))
        self.defaultTimeoutMilliseconds = configuration.timeout.map { max(1, $0.roundedUpMilliseconds) } ?? 0
        self.logger = logger
    }

    /// Starts a transfer made for this driver; call on its loop. Events may be delivered before
    /// this returns (a backend that refuses at once), so the caller must be ready for them.
    func start(_ transfer: UpstreamTransfer, timeout: Duration?) {
        self.eventLoop.assertInEventLoop()
        let timeoutMilliseconds = timeout.map { max(1, $0.roundedUpMilliseconds) } ?? self.defaultTimeoutMilliseconds
        self.start(transfer, timeoutMilliseconds: timeoutMilliseconds)
    }

    private func start(_ transfer: UpstreamTransfer, timeoutMilliseconds: Int) {
        guard !transfer.isCancelled else { return }
        guard self.runningMulti() != nil else {
            transfer.emit(.failure(UpstreamFailure(kind: .reset, detail: "the sidecar is shutting down")))
            self.settle()
            return
        }
        self.admit(transfer, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Hands a transfer that holds one of the loop's slots to libcurl; a transfer that fails
    /// here gives its slot back.
    func begin(_ transfer: UpstreamTransfer, timeoutMilliseconds: Int) {
        guard let multi = self.multi, self.state == .running else {
            transfer.emit(.failure(UpstreamFailure(kind: .reset, detail: "the sidecar is shutting down")))
            self.settle()
            return
        }
        guard let easy = self.idleHandles.popLast() ?? self.makeHandle() else {
            transfer.emit(.failure(UpstreamFailure(kind: .protocol, detail: "libcurl could not create a handle")))
            self.releaseSlot()
            self.settle()
            return
        }
        transfer.easy = easy
        do {
            try self.configure(easy, for: transfer, timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            self.logger.error("could not set up an upstream transfer", metadata: ["error": "\(error)"])
            transfer.emit(.failure(UpstreamFailure(kind: .protocol, detail: "\(error)")))
            transfer.easy = nil
            self.retire(easy)
            self.releaseSlot()
            self.settle()
            return
        }
        self.libcurlDepth += 1
        let added = multi.add(easy)
        self.libcurlDepth -= 1
        guard added else {
            transfer.emit(.failure(UpstreamFailure(kind: .protocol, detail: "libcurl refused the transfer")))
            transfer.easy = nil
            self.retire(easy)
            self.releaseSlot()
            self.settle()
            return
        }
        self.active[easy.handle] = transfer
        self.settle()
    }

    /// Lets a paused transfer go on. The events this produces are handed over later in this
    /// loop turn, never from inside the caller: connections call this in the middle of their
    /// own state changes.
    func resume(_ transfer: UpstreamTransfer) {
        self.eventLoop.assertInEventLoop()
        if self.libcurlDepth > 0 || self.settling {
            self.deferredResumes.append(transfer)
            return
        }
        self.resumeNow(transfer)
        self.settleLater()
    }

    private func resumeNow(_ transfer: UpstreamTransfer) {
        guard let easy = transfer.easy, self.active[easy.handle] != nil else { return }
        self.libcurlDepth += 1
        easy.resume()
        self.libcurlDepth -= 1
        // The transfer's sockets may have become ready while it was paused, and their signals
        // were spent then: ask about all of them.
        self.unsettleAllSockets()
    }

    /// Abandons a transfer: its handle leaves libcurl and goes back to the pool, and its slot
    /// to the next waiter; one still waiting for a slot leaves the queue.
    func cancel(_ transfer: UpstreamTransfer) {
        self.eventLoop.assertInEventLoop()
        guard let easy = transfer.easy, self.active.removeValue(forKey: easy.handle) != nil else {
            self.withdraw(transfer)
            return
        }
        transfer.easy = nil
        self.retire(easy)
        self.releaseSlot()
        self.settleLater()
    }

    /// Settles on a later turn of the loop (once per turn), out of the caller's way.
    func settleLater() {
        guard !self.settleScheduled else { return }
        self.settleScheduled = true
        self.eventLoop.execute {
            self.settleScheduled = false
            self.settle()
        }
    }

    /// Called by a transfer the first time it has events in this turn.
    func markReady(_ transfer: UpstreamTransfer) {
        self.ready.append(transfer)
    }

    /// Does everything that waits for libcurl to have returned: deferred resumes, due timers,
    /// completions, sockets whose readiness must be asked for, and handing events over. Handing
    /// events over runs the connections' code, which may call back in here; the outer call
    /// carries on until nothing is left.
    func settle() {
        guard !self.settling else { return }
        self.settling = true
        defer { self.settling = false }
        var rounds = 0
        while true {
            var didWork = false
            if !self.deferredResumes.isEmpty {
                let resumes = self.deferredResumes
                self.deferredResumes.removeAll(keepingCapacity: true)
                for transfer in resumes { self.resumeNow(transfer) }
                didWork = true
            }
            if self.timeoutDue {
                self.timeoutDue = false
                self.act(on: mw_curl_socket_timeout, events: 0)
                didWork = true
            }
            if let multi = self.multi {
                while let (handle, result) = multi.nextCompletion() {
                    self.complete(handle, result: result)
                    didWork = true
                }
            }
            if !self.unsettled.isEmpty {
                if rounds < 16 {
                    self.checkUnsettledSockets()
                } else {
                    // A socket that stays ready through many rounds (a fast, large download):
                    // let the loop's other channels have a turn before going on.
                    self.settleLater()
                }
                didWork = true
            }
            if !self.ready.isEmpty {
                var ready = self.spareReady
                self.spareReady = []
                swap(&ready, &self.ready)
                for transfer in ready { transfer.flushEvents() }
                ready.removeAll(keepingCapacity: true)
                self.spareReady = ready
                didWork = true
            }
            if !didWork || (rounds >= 16 && self.ready.isEmpty && self.deferredResumes.isEmpty && !self.timeoutDue) {
                return
            }
            rounds += 1
        }
    }

    private func complete(_ handle: UnsafeMutableRawPointer, result: CURLcode) {
        guard let transfer = self.active.removeValue(forKey: handle), let easy = transfer.easy else { return }
        if result == CURLE_OK {
            transfer.emit(.end(easy.timings))
        } else {
            transfer.emit(.failure(UpstreamFailure(code: result, detail: easy.errorDetail)))
        }
        transfer.easy = nil
        self.retire(easy)
        self.releaseSlot()
    }

    /// Detaches a handle and keeps it for the next transfer. Handles are not reset: their
    /// buffers, parsed URL and static options carry over, and every per-transfer option is set
    /// again by `configure`.
    private func retire(_ easy: CurlEasy) {
        if let multi = self.multi {
            self.libcurlDepth += 1
            multi.remove(easy)
            self.libcurlDepth -= 1
        }
        if self.idleHandles.count < self.handlePoolSize && self.state == .running {
            self.idleHandles.append(easy)
        }
    }

    /// Fails the transfers in flight and lets go of libcurl and the bridge.
    func stop() {
        self.eventLoop.assertInEventLoop()
        guard self.state != .stopped else { return }
        let wasRunning = self.state == .running
        self.state = .stopped
        guard wasRunning else { return }
        for (_, transfer) in self.active {
            transfer.emit(.failure(UpstreamFailure(kind: .reset, detail: "the sidecar is shutting down")))
            if let easy = transfer.easy {
                self.retire(easy)
            }
            transfer.easy = nil
        }
        self.active.removeAll()
        self.failWaiters()
        self.settle()
        self.scheduledTimer?.cancel()
        self.scheduledTimer = nil
        self.idleHandles.removeAll()
        // Cleaning up closes the cached connections through the close callback, which needs `self`.
        self.multi = nil
        self.bridge?.detach(self)
        self.bridge = nil
    }
}

/// Counts of what the readiness bridge did on one loop.
struct ReadinessStatistics: Sendable, Equatable {
    /// Readiness signals read from the signalfd.
    var signals = 0
    /// Times the real-time signal queue overflowed and every socket was asked about.
    var overflows = 0
    /// Sockets found ready by asking, where no signal had come (or could come).
    var readyWithoutSignal = 0
}
