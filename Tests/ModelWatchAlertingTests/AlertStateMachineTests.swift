import ModelWatchQuery
import ModelWatchStore
import Testing

@testable import ModelWatchAlerting

@Suite struct AlertStateMachineTests {
    let labels = Labels([SeriesKey.Label("alertname", "Down"), SeriesKey.Label("job", "api")])

    func result(_ value: Double = 1) -> [AlertStateMachine.Result] {
        [AlertStateMachine.Result(labels: self.labels, value: value, annotations: ["summary": "down"])]
    }

    @Test func aNewSeriesIsPendingThenFiresWhenForHasPassed() throws {
        var machine = AlertStateMachine(holdDuration: 300_000)
        #expect(try machine.evaluate(self.result(), at: 0) == [.becamePending(self.labels)])
        #expect(machine.current.first?.state == .pending)
        #expect(try machine.evaluate(self.result(), at: 240_000) == [])
        #expect(machine.current.first?.state == .pending)
        #expect(try machine.evaluate(self.result(), at: 300_000) == [.fired(self.labels)])
        #expect(machine.current.first?.state == .firing)
        #expect(machine.current.first?.firedAt == 300_000)
    }

    @Test func withoutForAnAlertFiresAtItsFirstEvaluation() throws {
        var machine = AlertStateMachine(holdDuration: 0)
        #expect(try machine.evaluate(self.result(), at: 60_000) == [.becamePending(self.labels), .fired(self.labels)])
        #expect(machine.current.first?.state == .firing)
    }

    @Test func aPendingAlertWhoseSeriesVanishesIsForgotten() throws {
        var machine = AlertStateMachine(holdDuration: 300_000)
        _ = try machine.evaluate(self.result(), at: 0)
        #expect(try machine.evaluate([], at: 60_000) == [.cancelled(self.labels)])
        #expect(machine.active.isEmpty)
        // Back again: the `for` timer starts over.
        _ = try machine.evaluate(self.result(), at: 120_000)
        #expect(machine.current.first?.activeAt == 120_000)
    }

    @Test func aFiringAlertResolvesAndIsKeptFifteenMinutes() throws {
        var machine = AlertStateMachine(holdDuration: 0)
        _ = try machine.evaluate(self.result(), at: 0)
        #expect(try machine.evaluate([], at: 60_000) == [.resolved(self.labels)])
        #expect(machine.current.isEmpty)
        #expect(machine.active[self.labels]?.state == .inactive)
        #expect(machine.active[self.labels]?.resolvedAt == 60_000)
        _ = try machine.evaluate([], at: 60_000 + AlertStateMachine.resolvedRetention)
        #expect(machine.active[self.labels] != nil)
        _ = try machine.evaluate([], at: 60_000 + AlertStateMachine.resolvedRetention + 60_000)
        #expect(machine.active[self.labels] == nil)
    }

    @Test func aResolvedAlertThatComesBackIsPendingAgain() throws {
        var machine = AlertStateMachine(holdDuration: 120_000)
        _ = try machine.evaluate(self.result(), at: 0)
        _ = try machine.evaluate(self.result(), at: 120_000)
        _ = try machine.evaluate([], at: 180_000)
        #expect(try machine.evaluate(self.result(), at: 240_000) == [.becamePending(self.labels)])
        #expect(machine.current.first?.activeAt == 240_000)
    }

    @Test func keepFiringForHoldsAFiringAlertAfterItsSeriesVanishes() throws {
        var machine = AlertStateMachine(holdDuration: 0, keepFiringFor: 120_000)
        _ = try machine.evaluate(self.result(), at: 0)
        #expect(try machine.evaluate([], at: 60_000) == [])
        #expect(machine.current.first?.state == .firing)
        #expect(try machine.evaluate([], at: 120_000) == [])
        #expect(try machine.evaluate([], at: 180_000) == [.resolved(self.labels)])
    }

    @Test func keepFiringForStartsOverWhenTheSeriesReturns() throws {
        var machine = AlertStateMachine(holdDuration: 0, keepFiringFor: 120_000)
        _ = try machine.evaluate(self.result(), at: 0)
        _ = try machine.evaluate([], at: 60_000)
        _ = try machine.evaluate(self.result(), at: 120_000)
        #expect(machine.current.first?.keepFiringSince == nil)
        _ = try machine.evaluate([], at: 180_000)
        #expect(try machine.evaluate([], at: 240_000) == [])
        #expect(machine.current.first?.state == .firing)
    }

    @Test func valueAndAnnotationsFollowTheLatestEvaluation() throws {
        var machine = AlertStateMachine(holdDuration: 0)
        _ = try machine.evaluate(self.result(1), at: 0)
        _ = try machine.evaluate(self.result(7), at: 60_000)
        #expect(machine.current.first?.value == 7)
        #expect(machine.current.first?.activeAt == 0)
    }

    @Test func moreAlertsThanTheLimitFailAndDropAll() throws {
        var machine = AlertStateMachine(holdDuration: 0, limit: 1)
        let two = [
            AlertStateMachine.Result(labels: self.labels, value: 1, annotations: [:]),
            AlertStateMachine.Result(labels: self.labels.setting("job", "web"), value: 1, annotations: [:]),
        ]
        #expect(throws: AlertStateMachine.LimitExceeded.self) { try machine.evaluate(two, at: 0) }
        #expect(machine.active.isEmpty)
    }

    @Test func restoringKeepsAFiringAlertsStart() throws {
        var machine = AlertStateMachine(holdDuration: 900_000)
        _ = try machine.evaluate(self.result(), at: 2_000_000)
        // Before the restart it had been active since 0 and was saved at 1,000,000: firing already.
        machine.restore(self.labels, savedActiveAt: 0, savedAt: 1_000_000, at: 2_000_000)
        #expect(machine.current.first?.activeAt == 0)
        #expect(try machine.evaluate(self.result(), at: 2_060_000) == [.fired(self.labels)])
    }

    @Test func restoringAPendingAlertDoesNotCountTheDowntime() throws {
        var machine = AlertStateMachine(holdDuration: 3_600_000)
        _ = try machine.evaluate(self.result(), at: 5_000_000)
        // Pending for 600 s before going down at 1,600,000; 3,000 s remain, more than the grace period.
        machine.restore(self.labels, savedActiveAt: 1_000_000, savedAt: 1_600_000, at: 5_000_000)
        let activeAt = try #require(machine.current.first?.activeAt)
        #expect(activeAt == 4_400_000)
    }

    @Test func restoringNeverFiresSoonerThanTheGracePeriod() throws {
        var machine = AlertStateMachine(holdDuration: 900_000)
        _ = try machine.evaluate(self.result(), at: 5_000_000)
        // 840 s of 900 s spent: it would fire at once; the grace period puts it 10 minutes away.
        machine.restore(self.labels, savedActiveAt: 0, savedAt: 840_000, at: 5_000_000)
        let activeAt = try #require(machine.current.first?.activeAt)
        #expect(activeAt == 4_700_000)
    }
}
