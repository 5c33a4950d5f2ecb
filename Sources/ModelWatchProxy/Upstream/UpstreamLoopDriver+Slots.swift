import NIOCore

// The loop's share of `upstream.max_connections` as slots, and the bounded wait for one
// (`UpstreamConnectionSlots` holds the state; this carries out what it says).

/// A transfer waiting for a slot, with what its start needs once it has one.
struct PendingTransfer {
    let transfer: UpstreamTransfer
    /// The total timeout asked for; 0 is none.
    let timeoutMilliseconds: Int
    let queuedAt: NIODeadline
    /// What the wait ending unserved means: the pool wait ran out, or the whole exchange's time
    /// did, when the total timeout is the shorter of the two.
    let expiry: UpstreamFailure.Kind
}

extension UpstreamLoopDriver {
    /// Starts `transfer` when a slot is free, or queues it until one is or its wait runs out.
    func admit(_ transfer: UpstreamTransfer, timeoutMilliseconds: Int) {
        let now = NIODeadline.now()
        let poolMilliseconds = max(1, self.configuration.poolTimeout.roundedUpMilliseconds)
        let totalIsShorter = timeoutMilliseconds > 0 && timeoutMilliseconds < poolMilliseconds
        let pending = PendingTransfer(
            transfer: transfer, timeoutMilliseconds: timeoutMilliseconds, queuedAt: now,
            expiry: totalIsShorter ? .timeout : .poolTimeout)
        let wait = totalIsShorter ? timeoutMilliseconds : poolMilliseconds
        switch self.slots.arrive(pending, deadline: now + .milliseconds(Int64(wait))) {
        case .start:
            self.begin(transfer, timeoutMilliseconds: timeoutMilliseconds)
        case .wait(let timerDeadline):
            self.armPoolTimer(at: timerDeadline)
        }
    }

    /// A transfer that held a slot has ended: the slot passes to the longest waiter, if any.
    func releaseSlot() {
        guard let next = self.slots.release() else { return }
        if let deadline = self.slots.nextDeadline { self.armPoolTimer(at: deadline) }
        // Its total timeout counts from when it was asked for, not from when a slot came free.
        let waited = Int((NIODeadline.now() - next.queuedAt).nanoseconds / 1_000_000)
        let remaining = next.timeoutMilliseconds > 0 ? max(1, next.timeoutMilliseconds - waited) : 0
        let transfer = next.transfer
        if self.libcurlDepth > 0 {
            // libcurl may not be handed a transfer from inside its own callbacks.
            self.eventLoop.execute { self.begin(transfer, timeoutMilliseconds: remaining) }
        } else {
            self.begin(transfer, timeoutMilliseconds: remaining)
        }
    }

    /// A transfer cancelled while it waited leaves the queue; nothing was started for it.
    func withdraw(_ transfer: UpstreamTransfer) {
        _ = self.slots.withdraw { $0.transfer === transfer }
    }

    /// Fails every waiter: the driver is stopping.
    func failWaiters() {
        self.poolTimer?.cancel()
        self.poolTimer = nil
        self.poolTimerDeadline = nil
        for pending in self.slots.removeAll() {
            pending.transfer.emit(.failure(UpstreamFailure(kind: .reset, detail: "the sidecar is shutting down")))
        }
    }

    private func armPoolTimer(at deadline: NIODeadline) {
        if let scheduled = self.poolTimerDeadline, scheduled <= deadline { return }
        self.poolTimer?.cancel()
        self.poolTimerDeadline = deadline
        self.poolTimer = self.eventLoop.scheduleTask(deadline: deadline) { self.poolTimerFired() }
    }

    private func poolTimerFired() {
        self.poolTimer = nil
        self.poolTimerDeadline = nil
        guard self.state == .running else { return }
        let now = NIODeadline.now()
        let expired = self.slots.expire(now: now)
        for pending in expired {
            pending.transfer.emit(.failure(self.waitFailure(pending, now: now)))
        }
        if let deadline = self.slots.nextDeadline { self.armPoolTimer(at: deadline) }
        if !expired.isEmpty { self.settle() }
    }

    /// Says what happened in the words of the settings an operator would change.
    private func waitFailure(_ pending: PendingTransfer, now: NIODeadline) -> UpstreamFailure {
        let waitedText = Duration.nanoseconds((now - pending.queuedAt).nanoseconds).configurationText
        let busy = "all \(self.slots.capacity) of this event loop's connections to the backend (upstream.max_connections) stayed busy"
        switch pending.expiry {
        case .timeout:
            return UpstreamFailure(kind: .timeout, detail: "no answer within upstream.timeout: \(busy) for \(waitedText)")
        default:
            return UpstreamFailure(
                kind: .poolTimeout, detail: "\(busy) for \(waitedText) (upstream.pool_timeout); the request was not sent")
        }
    }
}
