import NIOCore

/// Which clock of a client connection runs, and what happens when it runs out, as a value.
///
/// `ConnectionTimeoutHandler` feeds it the client's bytes, the proxy handler's milestones and the
/// timer firing, and carries out what each returns; the one scheduled timer follows
/// `timerToSchedule()`. The phase is the only state: the milestones move it, so no second copy of
/// the exchange's progress is kept in step elsewhere.
///
/// The clocks: between requests the idle clock; from a request's first byte to the end of its
/// head (and of a small body, collected before forwarding) the head clock, `headerTimeout` in
/// all; while a forwarded body streams, the body clock, a gap of `headerTimeout` between reads,
/// stopped while the sidecar itself has paused reading (the backend is slow to take the upload:
/// not the client's fault); after an early answer, the same gap in the rest of the body; after
/// a refusal, the linger clock. While the backend is awaited, none: the upstream timeout governs.
struct ConnectionTimeoutStateMachine {
    private enum Phase: Equatable {
        case awaitingRequest
        /// `requestLineBytes`: bytes of the request line seen so far while its end has not
        /// arrived; `nil` once it has (the usual case: the first read of a request holds its
        /// whole request line).
        case readingHead(requestLineBytes: Int?)
        case receivingBody
        case exchanging
        case discardingBody
        /// An answer was written and the write side closed; what the client sends is dropped.
        case lingering
    }

    /// What to do with bytes the client sent.
    enum ReadAction: Equatable {
        /// Pass them on to the codec.
        case forward
        /// Drop them: the connection is lingering after an answer.
        case drop
        /// Answer below the codec with this, then linger (the request line is too long).
        case refuse(SidecarError)
    }

    /// What a milestone or the timer calls for.
    enum Action: Equatable {
        case none
        /// Write this answer below the codec, then close the write side and linger.
        case answerAndLinger(SidecarError)
        /// The answer went out through the codec: close the write side and linger.
        case linger
        /// The head clock ran out: answer 408 and close.
        case answerHeaderTimeout
        /// The body clock ran out: the proxy handler answers (`ConnectionClockEvent`).
        case requestBodyTimedOut
        /// Close the connection; `counting` the clock that closed it, if any.
        case close(counting: ConnectionStatistics.Timeout?)
    }

    let headerTimeout: TimeAmount
    let idleTimeout: TimeAmount
    let lingerTimeout: TimeAmount
    private var phase = Phase.awaitingRequest
    /// The proxy handler paused reading: the body clock does not run.
    private var readingPaused = false
    /// When the running clock expires; moved on every event without touching the timer.
    private var deadline = NIODeadline.distantFuture
    /// When the scheduled timer fires, `nil` when none is. At most one timer per connection:
    /// rescheduling on every request would cost an allocation and two heap operations each
    /// time, so an early firing just re-arms itself.
    private var timerFiresAt: NIODeadline?

    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount, lingerTimeout: TimeAmount = .seconds(2)) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.lingerTimeout = lingerTimeout
    }

    /// The connection opened: the idle clock runs until its first byte.
    mutating func connectionActive(now: NIODeadline) {
        self.deadline = now + self.idleTimeout
    }

    /// Bytes arrived from the client.
    mutating func bytesReceived(_ bytes: ByteBufferView, now: @autoclosure () -> NIODeadline) -> ReadAction {
        switch self.phase {
        case .lingering:
            return .drop
        case .awaitingRequest:
            self.phase = .readingHead(requestLineBytes: 0)
            self.deadline = now() + self.headerTimeout
        case .receivingBody where !self.readingPaused, .discardingBody:
            self.deadline = now() + self.headerTimeout
        case .readingHead, .receivingBody, .exchanging:
            break
        }
        guard case .readingHead(let seen?) = self.phase else { return .forward }
        let end = bytes.firstIndex(of: UInt8(ascii: "\n")).map { $0 - bytes.startIndex }
        if seen + (end ?? bytes.count) > RequestFraming.requestLineLimit {
            return self.refuse(.uriTooLong, now: now())
        }
        self.phase = .readingHead(requestLineBytes: end == nil ? seen + bytes.count : nil)
        return .forward
    }

    /// The proxy handler reported a milestone of the exchange.
    mutating func milestone(_ milestone: ExchangeMilestone, now: @autoclosure () -> NIODeadline) -> Action {
        guard self.phase != .lingering else { return .none }
        switch milestone {
        case .requestForwarded(let bodyFollows):
            self.phase = bodyFollows ? .receivingBody : .exchanging
            if bodyFollows {
                self.deadline = now() + self.headerTimeout
            }
        case .requestBodyEnded:
            if self.phase == .receivingBody {
                self.phase = .exchanging
            }
        case .responseCompleted:
            self.phase = .awaitingRequest
            self.deadline = now() + self.idleTimeout
        case .responseCompletedBeforeRequest:
            self.phase = .discardingBody
            self.deadline = now() + self.headerTimeout
        case .readingPaused:
            self.readingPaused = true
        case .readingResumed:
            self.readingPaused = false
            if self.phase == .receivingBody {
                self.deadline = now() + self.headerTimeout
            }
        case .refuse(let answer):
            self.startLingering(now: now())
            return .answerAndLinger(answer)
        case .linger:
            self.startLingering(now: now())
            return .linger
        }
        return .none
    }

    /// The timer fired.
    mutating func timerFired(now: NIODeadline) -> Action {
        self.timerFiresAt = nil
        guard self.clockRuns, now >= self.deadline else { return .none }
        switch self.phase {
        case .awaitingRequest:
            return .close(counting: .idle)
        case .readingHead:
            self.phase = .exchanging  // no clock closes it before the answer is out
            return .answerHeaderTimeout
        case .receivingBody:
            // The proxy handler answers 408 and asks to linger; until then no clock runs.
            self.phase = .exchanging
            return .requestBodyTimedOut
        case .discardingBody:
            return .close(counting: .body)
        case .lingering:
            return .close(counting: nil)
        case .exchanging:
            return .none
        }
    }

    /// When the timer must be (re)scheduled to fire, or `nil` when the one scheduled, or none,
    /// will do. The caller schedules it and cancels any other.
    mutating func timerToSchedule() -> NIODeadline? {
        guard self.clockRuns else { return nil }
        if let firesAt = self.timerFiresAt, firesAt <= self.deadline { return nil }
        self.timerFiresAt = self.deadline
        return self.deadline
    }

    /// Whether a clock runs in this phase.
    private var clockRuns: Bool {
        switch self.phase {
        case .awaitingRequest, .readingHead, .discardingBody, .lingering: true
        case .receivingBody: !self.readingPaused
        case .exchanging: false
        }
    }

    private mutating func refuse(_ answer: SidecarError, now: NIODeadline) -> ReadAction {
        self.startLingering(now: now)
        return .refuse(answer)
    }

    private mutating func startLingering(now: NIODeadline) {
        self.phase = .lingering
        self.deadline = now + self.lingerTimeout
    }
}
