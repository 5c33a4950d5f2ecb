import Foundation

/// The bounded hand-off from the analysis pipeline to a model's inference threads.
///
/// The pipeline never waits: a job that does not fit is refused and counted as skipped. Threads
/// block in `take()` until there is work or the queue is closed and empty.
final class ShadowQueue<Job>: @unchecked Sendable {
    // @unchecked Sendable: `jobs` and `closed` are only touched with `condition` locked.
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var closed = false
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// - Returns: `false` when the queue is full or closed; the job was not taken.
    func offer(_ job: Job) -> Bool {
        self.condition.lock()
        defer { self.condition.unlock() }
        guard !self.closed, self.jobs.count - self.head < self.capacity else { return false }
        self.jobs.append(job)
        self.condition.signal()
        return true
    }

    /// The next job, waiting for one; `nil` once the queue is closed and empty.
    func take() -> Job? {
        self.condition.lock()
        defer { self.condition.unlock() }
        while self.head == self.jobs.count, !self.closed { self.condition.wait() }
        guard self.head < self.jobs.count else { return nil }
        let job = self.jobs[self.head]
        self.head += 1
        if self.head == self.jobs.count {
            self.jobs.removeAll(keepingCapacity: true)
            self.head = 0
        }
        return job
    }

    /// Jobs waiting now.
    var count: Int {
        self.condition.lock()
        defer { self.condition.unlock() }
        return self.jobs.count - self.head
    }

    /// Refuses further jobs; the threads finish what is queued, then `take()` returns `nil`.
    func close() {
        self.condition.lock()
        self.closed = true
        self.condition.broadcast()
        self.condition.unlock()
    }
}
