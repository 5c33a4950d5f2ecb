import NIOCore
import Testing

@testable import ModelWatchProxy

/// Each transition of the pool wait: who starts, who waits, who gets a freed slot, who expires.
@Suite("Upstream connection slots")
struct UpstreamConnectionSlotsTests {
    private let origin = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func at(_ milliseconds: Int64) -> NIODeadline {
        self.origin + .milliseconds(milliseconds)
    }

    @Test("a transfer takes a free slot and starts at once")
    func arriveWithFreeSlot() {
        var slots = UpstreamConnectionSlots<String>(capacity: 2)
        #expect(slots.arrive("a", deadline: self.at(100)) == .start)
        #expect(slots.arrive("b", deadline: self.at(100)) == .start)
        #expect(slots.running == 2)
        #expect(slots.waitingCount == 0)
        #expect(slots.nextDeadline == nil)
    }

    @Test("with every slot taken a transfer waits, and the timer is asked for its deadline")
    func arriveWhenFull() {
        var slots = UpstreamConnectionSlots<String>(capacity: 1)
        _ = slots.arrive("a", deadline: self.at(100))
        #expect(slots.arrive("b", deadline: self.at(200)) == .wait(timerDeadline: self.at(200)))
        #expect(slots.arrive("c", deadline: self.at(300)) == .wait(timerDeadline: self.at(200)))
        #expect(slots.running == 1)
        #expect(slots.waitingCount == 2)
    }

    @Test("a freed slot passes to the longest waiter, which keeps the count of running transfers")
    func releaseToWaiter() {
        var slots = UpstreamConnectionSlots<String>(capacity: 1)
        _ = slots.arrive("a", deadline: self.at(100))
        _ = slots.arrive("b", deadline: self.at(200))
        _ = slots.arrive("c", deadline: self.at(300))
        #expect(slots.release() == "b")
        #expect(slots.running == 1)
        #expect(slots.nextDeadline == self.at(300))
        #expect(slots.release() == "c")
        #expect(slots.release() == nil)
        #expect(slots.running == 0)
    }

    @Test("a newcomer never overtakes a waiter, even when a slot is free for a moment")
    func noOvertaking() {
        var slots = UpstreamConnectionSlots<String>(capacity: 2)
        _ = slots.arrive("a", deadline: self.at(100))
        _ = slots.arrive("b", deadline: self.at(100))
        _ = slots.arrive("c", deadline: self.at(200))
        // One finishes and hands its slot to "c" at once; "d" must queue behind nobody but wait.
        #expect(slots.release() == "c")
        if case .start = slots.arrive("d", deadline: self.at(300)) {
            Issue.record("d started while every slot was held")
        }
        #expect(slots.waitingCount == 1)
    }

    @Test("a waiter that gives up leaves the queue and is never started")
    func withdraw() {
        var slots = UpstreamConnectionSlots<String>(capacity: 1)
        _ = slots.arrive("a", deadline: self.at(100))
        _ = slots.arrive("b", deadline: self.at(200))
        _ = slots.arrive("c", deadline: self.at(300))
        #expect(slots.withdraw { $0 == "b" })
        #expect(!slots.withdraw { $0 == "b" })
        #expect(!slots.withdraw { $0 == "a" }, "a running transfer is not waiting")
        #expect(slots.nextDeadline == self.at(300))
        #expect(slots.release() == "c")
    }

    @Test("waiters past their deadline expire in arrival order; the rest keep waiting")
    func expire() {
        var slots = UpstreamConnectionSlots<String>(capacity: 1)
        _ = slots.arrive("a", deadline: self.at(100))
        _ = slots.arrive("b", deadline: self.at(200))
        _ = slots.arrive("short", deadline: self.at(150))
        _ = slots.arrive("c", deadline: self.at(400))
        #expect(slots.nextDeadline == self.at(150), "a shorter total timeout is the earliest deadline")
        #expect(slots.expire(now: self.at(149)) == [])
        #expect(slots.expire(now: self.at(200)) == ["b", "short"])
        #expect(slots.waitingCount == 1)
        #expect(slots.nextDeadline == self.at(400))
        #expect(slots.running == 1, "expiring frees no slot")
        #expect(slots.release() == "c")
    }

    @Test("stopping hands back every waiter and forgets the slots")
    func removeAll() {
        var slots = UpstreamConnectionSlots<String>(capacity: 1)
        _ = slots.arrive("a", deadline: self.at(100))
        _ = slots.arrive("b", deadline: self.at(200))
        #expect(slots.removeAll() == ["b"])
        #expect(slots.running == 0)
        #expect(slots.arrive("c", deadline: self.at(300)) == .start)
    }
}
