import ModelWatchProxy
import Synchronization

/// The bounded hand-off between event loops and the analysis pipeline.
///
/// Producers never wait: an observation that does not fit is refused and the caller counts the
/// drop. The consumer takes everything queued at once and sleeps when there is nothing. Body
/// bytes are budgeted separately (`reserve`/`release`), from the moment a body starts being kept
/// on the proxy path until its observation has been analysed, so a burst of large payloads cannot
/// grow memory past `memoryLimit`.
final class ObservationQueue: Sendable {
    private struct State {
        var items: [ExchangeObservation] = []
        var waiter: CheckedContinuation<[ExchangeObservation]?, Never>?
        var closed = false
    }

    let capacity: Int
    let memoryLimit: Int
    private let state = Mutex(State())
    private let heldBytes = Atomic<Int>(0)

    init(capacity: Int, memoryLimit: Int) {
        self.capacity = capacity
        self.memoryLimit = memoryLimit
    }

    /// Observations waiting for the consumer.
    var waiting: Int { self.state.withLock { $0.items.count } }

    /// Bytes of body currently held for analysis.
    var bytesHeld: Int { self.heldBytes.load(ordering: .relaxed) }

    /// - Returns: `false` when the budget is spent; nothing was reserved then.
    func reserve(bytes: Int) -> Bool {
        let after = self.heldBytes.wrappingAdd(bytes, ordering: .relaxed).newValue
        if after > self.memoryLimit {
            self.heldBytes.wrappingSubtract(bytes, ordering: .relaxed)
            return false
        }
        return true
    }

    func release(bytes: Int) {
        guard bytes > 0 else { return }
        self.heldBytes.wrappingSubtract(bytes, ordering: .relaxed)
    }

    /// - Returns: `false` when the queue is full or closed; the observation was not taken.
    func offer(_ observation: ExchangeObservation) -> Bool {
        let (accepted, waiter) = self.state.withLock { state -> (Bool, CheckedContinuation<[ExchangeObservation]?, Never>?) in
            guard !state.closed, state.items.count < self.capacity else { return (false, nil) }
            guard let waiter = state.waiter else {
                state.items.append(observation)
                return (true, nil)
            }
            state.waiter = nil
            return (true, waiter)
        }
        waiter?.resume(returning: [observation])
        return accepted
    }

    /// Everything queued, waiting for at least one observation.
    /// - Returns: `nil` once the queue is closed and empty.
    func next() async -> [ExchangeObservation]? {
        await withCheckedContinuation { continuation in
            let ready = self.state.withLock { state -> [ExchangeObservation]?? in
                if !state.items.isEmpty { return .some(Self.takeItems(&state)) }
                if state.closed { return .some(nil) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Everything queued now, without waiting: for a caller that analyses on its own thread
    /// rather than as the pipeline's service (the analysis benchmark).
    func takeWaiting() -> [ExchangeObservation] {
        self.state.withLock { state in Self.takeItems(&state) }
    }

    private static func takeItems(_ state: inout State) -> [ExchangeObservation] {
        defer { state.items.removeAll(keepingCapacity: true) }
        return state.items
    }

    /// Refuses further observations; the consumer gets what is queued, then `nil`.
    func close() {
        let waiter = self.state.withLock { state -> CheckedContinuation<[ExchangeObservation]?, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.items.isEmpty ? state.waiter : nil
        }
        waiter?.resume(returning: nil)
    }
}
