/// Who may read next: a fixed number of reader connections, a bounded line of waiting queries,
/// and a refusal past it. A plain state machine; `ReadPlane` keeps it behind a lock and carries
/// out what each transition returns.
struct ReaderSlots<Waiter> {
    /// What to do with a query that asks to read.
    enum Admission {
        /// Run it now on this reader.
        case run(Int)
        /// Keep it waiting; it is handed a reader when one is released.
        case wait
        /// Refuse it: every reader is busy and the line is full.
        case refuse
    }

    private var free: [Int]
    private var waiting: [Waiter] = []
    private var nextWaiter = 0
    let maxWaiting: Int

    init(readers: Int, maxWaiting: Int) {
        self.free = Array((0..<readers).reversed())
        self.maxWaiting = maxWaiting
    }

    /// A query asks for a reader; `waiter` is kept when it has to wait.
    mutating func admit(_ waiter: Waiter) -> Admission {
        if let reader = self.free.popLast() { return .run(reader) }
        guard self.waiting.count - self.nextWaiter < self.maxWaiting else { return .refuse }
        self.waiting.append(waiter)
        return .wait
    }

    /// A query is done with `reader`: the longest-waiting query gets it, or it becomes free.
    mutating func release(_ reader: Int) -> Waiter? {
        guard self.nextWaiter < self.waiting.count else {
            self.free.append(reader)
            return nil
        }
        let waiter = self.waiting[self.nextWaiter]
        self.nextWaiter += 1
        if self.nextWaiter == self.waiting.count {
            self.waiting.removeAll(keepingCapacity: true)
            self.nextWaiter = 0
        }
        return waiter
    }

    /// Queries waiting for a reader.
    var waitingCount: Int { self.waiting.count - self.nextWaiter }
}
