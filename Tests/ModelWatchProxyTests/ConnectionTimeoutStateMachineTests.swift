import NIOCore
import Testing

@testable import ModelWatchProxy

/// Which clock runs in each phase of a client connection, and what its running out does.
@Suite("Connection timeout state machine")
struct ConnectionTimeoutStateMachineTests {
    typealias Machine = ConnectionTimeoutStateMachine

    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let header = TimeAmount.seconds(10)
    static let idle = TimeAmount.seconds(60)

    static func machine() -> Machine {
        var machine = Machine(headerTimeout: Self.header, idleTimeout: Self.idle, lingerTimeout: .seconds(2))
        machine.connectionActive(now: Self.start)
        return machine
    }

    static func bytes(_ text: String) -> ByteBufferView {
        ByteBuffer(string: text).readableBytesView
    }

    @Test("a new connection runs the idle clock; an early firing re-arms, a due one closes counted as idle")
    func idleClock() {
        var machine = Self.machine()
        #expect(machine.timerToSchedule() == Self.start + Self.idle)
        #expect(machine.timerToSchedule() == nil, "one timer")
        #expect(machine.timerFired(now: Self.start + .seconds(1)) == Machine.Action.none)
        #expect(machine.timerToSchedule() == Self.start + Self.idle)
        #expect(machine.timerFired(now: Self.start + Self.idle) == .close(counting: .idle))
    }

    @Test("a request's first byte starts the head clock; running out answers 408")
    func headClock() {
        var machine = Self.machine()
        let now = Self.start + .seconds(5)
        #expect(machine.bytesReceived(Self.bytes("GET / HTTP/1.1\r\n"), now: now) == .forward)
        #expect(machine.timerToSchedule() == now + Self.header, "earlier than the idle timer: rescheduled")
        #expect(machine.timerFired(now: now + Self.header) == .answerHeaderTimeout)
        #expect(machine.timerToSchedule() == nil)
    }

    @Test("a request line over the limit, in pieces, is refused below the codec and what follows is dropped")
    func longRequestLine() {
        var machine = Self.machine()
        let piece = Self.bytes("GET /" + String(repeating: "a", count: 40 << 10))
        #expect(machine.bytesReceived(piece, now: Self.start) == .forward)
        #expect(machine.bytesReceived(piece, now: Self.start) == .refuse(.uriTooLong))
        #expect(machine.bytesReceived(piece, now: Self.start) == .drop)
        #expect(machine.timerFired(now: Self.start + .seconds(2)) == .close(counting: nil), "the linger clock")
    }

    @Test("a streamed body is timed by its gaps; running out tells the proxy handler")
    func bodyClock() {
        var machine = Self.machine()
        _ = machine.bytesReceived(Self.bytes("POST / HTTP/1.1\r\n\r\n"), now: Self.start)
        #expect(machine.milestone(.requestForwarded(bodyFollows: true), now: Self.start) == Machine.Action.none)
        let later = Self.start + .seconds(8)
        #expect(machine.bytesReceived(Self.bytes("body"), now: later) == .forward)
        _ = machine.timerToSchedule()
        #expect(machine.timerFired(now: Self.start + Self.header) == Machine.Action.none, "a read moved the deadline")
        #expect(machine.timerToSchedule() == later + Self.header)
        #expect(machine.timerFired(now: later + Self.header) == .requestBodyTimedOut)
        #expect(machine.timerToSchedule() == nil, "the proxy handler answers; no clock until it does")
    }

    @Test("the body clock stops while the sidecar has paused reading, and restarts when it resumes")
    func pausedBody() {
        var machine = Self.machine()
        _ = machine.milestone(.requestForwarded(bodyFollows: true), now: Self.start)
        _ = machine.milestone(.readingPaused, now: Self.start)
        #expect(machine.timerToSchedule() == nil)
        #expect(machine.timerFired(now: Self.start + .seconds(3600)) == Machine.Action.none)
        let resumed = Self.start + .seconds(3600)
        _ = machine.milestone(.readingResumed, now: resumed)
        #expect(machine.timerToSchedule() == resumed + Self.header)
    }

    @Test("once the body has ended the backend is awaited with no clock; its answer starts the idle clock")
    func exchanging() {
        var machine = Self.machine()
        _ = machine.milestone(.requestForwarded(bodyFollows: true), now: Self.start)
        _ = machine.milestone(.requestBodyEnded, now: Self.start)
        #expect(machine.timerFired(now: Self.start + .seconds(3600)) == Machine.Action.none)
        #expect(machine.timerToSchedule() == nil)
        let answered = Self.start + .seconds(3600)
        _ = machine.milestone(.responseCompleted, now: answered)
        #expect(machine.timerToSchedule() == answered + Self.idle)
    }

    @Test("after an early answer, a gap in the rest of the body closes without another answer, counted as body")
    func discarding() {
        var machine = Self.machine()
        _ = machine.milestone(.requestForwarded(bodyFollows: true), now: Self.start)
        _ = machine.milestone(.responseCompletedBeforeRequest, now: Self.start)
        #expect(machine.timerFired(now: Self.start + Self.header) == .close(counting: .body))
    }

    @Test("a refusal through the codec lingers: the write side closes, reads are dropped, the linger clock closes")
    func linger() {
        var machine = Self.machine()
        #expect(machine.milestone(.linger, now: Self.start) == .linger)
        #expect(machine.bytesReceived(Self.bytes("more body"), now: Self.start) == .drop)
        #expect(machine.milestone(.responseCompleted, now: Self.start) == Machine.Action.none, "nothing moves it on")
        #expect(machine.timerToSchedule() == Self.start + .seconds(2))
        #expect(machine.timerFired(now: Self.start + .seconds(2)) == .close(counting: nil))

        var refused = Self.machine()
        #expect(refused.milestone(.refuse(.upgradeRefused), now: Self.start) == .answerAndLinger(.upgradeRefused))
    }
}
