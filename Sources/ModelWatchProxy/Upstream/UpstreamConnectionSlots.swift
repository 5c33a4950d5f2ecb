import NIOCore

/// One loop's upstream connections counted as slots, and the transfers waiting for one, first
/// come first served, each until its own deadline.
///
/// libcurl would queue a transfer beyond `CURLMOPT_MAX_TOTAL_CONNECTIONS` itself, but only the
/// transfer's total timeout ends that wait (17.7 s was seen), and the end is reported as a
/// resolver timeout (`Failed to resolve host … with timeout after 0 ms`). Keeping the queue here
/// bounds the wait with `upstream.pool_timeout` and lets the failure say what happened.
///
/// A plain struct whose transitions say what the driver must do, so each one is tested without
/// libcurl or an event loop; the driver carries the actions out.
struct UpstreamConnectionSlots<Waiter> {
    /// What to do with a transfer that has just arrived.
    enum Arrival: Equatable {
        /// A slot was free and is now the transfer's: start it.
        case start
        /// Every slot is taken: the transfer waits. The driver's timer must fire by `deadline`
        /// at the latest, the earliest a waiter can expire.
        case wait(timerDeadline: NIODeadline)
    }

    private struct Entry {
        let waiter: Waiter
        let deadline: NIODeadline
    }

    /// Transfers that may run at once: the loop's share of `upstream.max_connections`.
    let capacity: Int
    /// Slots held by running transfers.
    private(set) var running = 0
    /// In arrival order. Deadlines are usually in that order too, but a transfer with a shorter
    /// total timeout than the pool wait may expire before an earlier one.
    private var waiting = CircularBuffer<Entry>()

    init(capacity: Int) {
        precondition(capacity > 0, "a loop needs at least one upstream connection")
        self.capacity = capacity
    }

    /// Transfers waiting for a slot.
    var waitingCount: Int { self.waiting.count }

    /// The earliest deadline among the waiters: when the driver's timer must fire next.
    var nextDeadline: NIODeadline? { self.waiting.lazy.map(\.deadline).min() }

    /// A transfer asks for a slot. It takes a free one only when nobody is waiting, so that a
    /// newcomer never overtakes a waiter.
    mutating func arrive(_ waiter: Waiter, deadline: NIODeadline) -> Arrival {
        if self.running < self.capacity && self.waiting.isEmpty {
            self.running += 1
            return .start
        }
        self.waiting.append(Entry(waiter: waiter, deadline: deadline))
        return .wait(timerDeadline: self.nextDeadline ?? deadline)
    }

    /// A running transfer has ended (completed, failed or cancelled) and gives its slot back.
    /// - Returns: the waiter that now holds the slot and must be started, if any.
    mutating func release() -> Waiter? {
        precondition(self.running > 0, "a slot was released that was never taken")
        guard let next = self.waiting.popFirst() else {
            self.running -= 1
            return nil
        }
        return next.waiter
    }

    /// A waiting transfer gives up (its client went away) before it got a slot.
    /// - Returns: whether it was waiting.
    mutating func withdraw(where matches: (Waiter) -> Bool) -> Bool {
        guard let index = self.waiting.firstIndex(where: { matches($0.waiter) }) else { return false }
        self.waiting.remove(at: index)
        return true
    }

    /// The waiters whose deadline is at or before `now`, taken out of the queue in arrival
    /// order: the driver fails each of them.
    mutating func expire(now: NIODeadline) -> [Waiter] {
        guard self.waiting.contains(where: { $0.deadline <= now }) else { return [] }
        var expired: [Waiter] = []
        var kept = CircularBuffer<Entry>(initialCapacity: self.waiting.count)
        for entry in self.waiting {
            if entry.deadline <= now {
                expired.append(entry.waiter)
            } else {
                kept.append(entry)
            }
        }
        self.waiting = kept
        return expired
    }

    /// Every waiter, taken out of the queue, and every slot forgotten: the driver is stopping.
    mutating func removeAll() -> [Waiter] {
        let waiters = self.waiting.map(\.waiter)
        self.waiting.removeAll()
        self.running = 0
        return waiters
    }
}
