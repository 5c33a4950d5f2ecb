import ModelWatchQuery
import ModelWatchStore
import Testing

@testable import ModelWatchAlerting

/// What goes to Alertmanager and when: Prometheus 2.42's `sendAlerts` timing and `endsAt`, the
/// notification's labels and generator URL, the bounded queue and the retry back-off.
@Suite struct AlertSendingTests {
    let labels = Labels([SeriesKey.Label("alertname", "Down"), SeriesKey.Label("job", "api")])

    func result() -> [AlertStateMachine.Result] {
        [AlertStateMachine.Result(labels: self.labels, value: 1, annotations: ["summary": "down"])]
    }

    @Test func aFiringAlertIsSentAtOnceThenAgainOnlyAfterTheResendDelay() throws {
        var machine = AlertStateMachine(holdDuration: 60_000)
        _ = try machine.evaluate(self.result(), at: 0)
        // Pending alerts are never sent.
        #expect(machine.alertsToSend(at: 0, resendDelay: 60_000, interval: 15_000).isEmpty)
        _ = try machine.evaluate(self.result(), at: 60_000)
        let first = machine.alertsToSend(at: 60_000, resendDelay: 60_000, interval: 15_000)
        #expect(first.map(\.labels) == [self.labels])
        // Valid for four times the larger of the resend delay and the interval.
        #expect(first.first?.validUntil == Int64(60_000 + 240_000))
        for time in stride(from: Int64(75_000), through: 120_000, by: 15_000) {
            _ = try machine.evaluate(self.result(), at: time)
            #expect(machine.alertsToSend(at: time, resendDelay: 60_000, interval: 15_000).isEmpty, "at \(time)")
        }
        // Strictly after the delay has passed, as Prometheus compares.
        _ = try machine.evaluate(self.result(), at: 135_000)
        let again = machine.alertsToSend(at: 135_000, resendDelay: 60_000, interval: 15_000)
        #expect(again.first?.validUntil == Int64(135_000 + 240_000))
        #expect(again.first?.firedAt == 60_000)
    }

    @Test func aLongIntervalStretchesValidity() throws {
        var machine = AlertStateMachine(holdDuration: 0)
        _ = try machine.evaluate(self.result(), at: 0)
        #expect(machine.alertsToSend(at: 0, resendDelay: 60_000, interval: 120_000).first?.validUntil == 480_000)
    }

    @Test func aResolvedAlertIsSentAtOnceWithItsResolvedTimeAndResentWhileRetained() throws {
        var machine = AlertStateMachine(holdDuration: 0)
        _ = try machine.evaluate(self.result(), at: 0)
        _ = machine.alertsToSend(at: 0, resendDelay: 60_000, interval: 15_000)
        _ = try machine.evaluate([], at: 15_000)
        let resolved = machine.alertsToSend(at: 15_000, resendDelay: 60_000, interval: 15_000)
        #expect(resolved.count == 1)
        let notification = AlertNotification(
            alert: try #require(resolved.first), expression: "up == 0", externalLabels: [:], externalURL: "")
        #expect(notification.startsAt == 0)
        #expect(notification.endsAt == 15_000)
        _ = try machine.evaluate([], at: 30_000)
        #expect(machine.alertsToSend(at: 30_000, resendDelay: 60_000, interval: 15_000).isEmpty)
        _ = try machine.evaluate([], at: 90_000)
        #expect(machine.alertsToSend(at: 90_000, resendDelay: 60_000, interval: 15_000).count == 1)
    }

    @Test func externalLabelsAreAddedWhereTheAlertHasNoneAndTheLinkPointsAtTheExpression() throws {
        var machine = AlertStateMachine(holdDuration: 0)
        _ = try machine.evaluate(self.result(), at: 1000)
        let alert = try #require(machine.alertsToSend(at: 1000, resendDelay: 60_000, interval: 1000).first)
        let notification = AlertNotification(
            alert: alert, expression: #"sum(rate(x{a="b"}[5m])) > 0.5"#, externalLabels: ["job": "other", "cluster": "eu1"],
            externalURL: "http://mw.example:9464")
        #expect(notification.labels["cluster"] == "eu1")
        #expect(notification.labels["job"] == "api")
        #expect(notification.startsAt == 1000)
        #expect(notification.endsAt == 1000 + 240_000)
        // What Go's url.QueryEscape makes of it, as Prometheus's TableLinkForExpression.
        #expect(
            notification.generatorURL
                == "http://mw.example:9464/graph?g0.expr=sum%28rate%28x%7Ba%3D%22b%22%7D%5B5m%5D%29%29+%3E+0.5&g0.tab=1")
    }

    @Test func aGroupWithAResendDelayHandsItsDueAlertsOver() throws {
        let group = try #require(
            try RuleFileLoader.parse(
                "groups:\n  - name: g\n    rules:\n      - alert: Always\n        expr: vector(1)\n        annotations:\n          where: \"{{ $externalLabels.cluster }}\"\n",
                path: "g.yaml"
            ).first)
        var evaluator = RuleGroupEvaluator(
            group: group, defaultInterval: 10_000, externalLabels: ["cluster": "eu1"], externalURL: "http://x")
        #expect(evaluator.evaluate(at: 0, source: InMemorySeriesSource()).notifications.isEmpty)
        evaluator.resendDelay = 60_000
        let notifications = evaluator.evaluate(at: 10_000, source: InMemorySeriesSource()).notifications
        #expect(notifications.count == 1)
        #expect(notifications.first?.labels["alertname"] == "Always")
        #expect(notifications.first?.labels["cluster"] == "eu1")
        #expect(notifications.first?.annotations["where"] == "eu1")
        #expect(notifications.first?.generatorURL == "http://x/graph?g0.expr=vector%281%29&g0.tab=1")
        #expect(evaluator.evaluate(at: 20_000, source: InMemorySeriesSource()).notifications.isEmpty)
    }
}

@Suite struct NotificationQueueTests {
    func alert(_ name: String, endsAt: Int64 = 0) -> AlertNotification {
        notification(name, endsAt: endsAt)
    }

    @Test func beyondItsCapacityTheOldestAreDroppedAndCounted() {
        var queue = NotificationQueue(capacity: 3)
        #expect(queue.append(["a", "b"].map { self.alert($0) }) == 0)
        #expect(queue.append(["c", "d", "e"].map { self.alert($0) }) == 2)
        #expect(queue.count == 3)
        #expect(queue.removeFirst(10).map { $0.labels["alertname"] } == ["c", "d", "e"])
        #expect(queue.count == 0)
    }

    @Test func aNewerCopyOfAWaitingAlertReplacesItInPlace() {
        var queue = NotificationQueue(capacity: 3)
        _ = queue.append([self.alert("a"), self.alert("b")])
        #expect(queue.append([self.alert("a", endsAt: 99)]) == 0)
        #expect(queue.count == 2)
        let batch = queue.removeFirst(10)
        #expect(batch.map { $0.labels["alertname"] } == ["a", "b"])
        #expect(batch.first?.endsAt == 99)
    }

    @Test func aRequeuedBatchGoesFirstUnlessANewerCopyWaits() {
        var queue = NotificationQueue(capacity: 10)
        _ = queue.append([self.alert("a"), self.alert("b")])
        let batch = queue.removeFirst(2)
        _ = queue.append([self.alert("c"), self.alert("b", endsAt: 7)])
        #expect(queue.requeue(batch) == 0)
        let next = queue.removeFirst(10)
        #expect(next.map { $0.labels["alertname"] } == ["a", "c", "b"])
        #expect(next.last?.endsAt == 7)
    }

    @Test func aRequeueBeyondTheCapacityDropsTheOldest() {
        var queue = NotificationQueue(capacity: 2)
        _ = queue.append([self.alert("a"), self.alert("b")])
        let batch = queue.removeFirst(2)
        _ = queue.append([self.alert("c"), self.alert("d")])
        #expect(queue.requeue(batch) == 2)
        #expect(queue.removeFirst(10).map { $0.labels["alertname"] } == ["c", "d"])
    }
}

@Suite struct AlertmanagerDeliveryTests {
    func alerts(_ count: Int) -> [AlertNotification] {
        (0..<count).map { notification("A\($0)") }
    }

    @Test func backOffDoublesFromHalfASecondUpToThirtySeconds() {
        #expect((1...8).map { AlertmanagerDelivery.backoff(afterFailures: $0) } == [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
        #expect(AlertmanagerDelivery.backoff(afterFailures: 1000) == 30_000)
    }

    @Test func batchesOfSixtyFourAreSentOneAtATime() throws {
        var delivery = AlertmanagerDelivery(capacity: 1000)
        _ = delivery.enqueue(self.alerts(100))
        let first = try #require(sent(delivery.next(at: 0)))
        #expect(first.count == 64)
        #expect(delivery.next(at: 0) == .idle)  // one POST in flight at a time
        delivery.delivered()
        let second = try #require(sent(delivery.next(at: 0)))
        #expect(second.count == 36)
        delivery.delivered()
        #expect(delivery.next(at: 0) == .idle)
    }

    @Test func aFailedBatchWaitsItsBackOffThenIsRetriedAndSuccessResetsTheBackOff() throws {
        var delivery = AlertmanagerDelivery(capacity: 1000)
        _ = delivery.enqueue(self.alerts(2))
        let batch = try #require(sent(delivery.next(at: 1000)))
        #expect(delivery.failed(at: 1000) == (dropped: 0, retryAt: 1500))
        #expect(delivery.next(at: 1200) == .wait(until: 1500))
        #expect(delivery.next(at: 1500) == .send(batch))
        #expect(delivery.failed(at: 1600).retryAt == 2600)
        #expect(delivery.consecutiveFailures == 2)
        #expect(delivery.next(at: 2600) == .send(batch))
        delivery.delivered()
        #expect(delivery.consecutiveFailures == 0)
        _ = delivery.enqueue(self.alerts(1))
        #expect(sent(delivery.next(at: 2601)) != nil)  // no waiting after a success
        #expect(delivery.failed(at: 2601).retryAt == 3101)
    }

    @Test func whileAnAlertmanagerIsDownTheQueueStaysWithinItsCapacity() {
        var delivery = AlertmanagerDelivery(capacity: 5)
        var dropped = 0
        var now: Int64 = 0
        for round in 0..<20 {
            dropped += delivery.enqueue(self.alerts(3 + round))
            if case .send = delivery.next(at: now) { dropped += delivery.failed(at: now).dropped }
            #expect(delivery.queue.count <= 5)
            now += 1000
        }
        #expect(dropped > 0)
    }
}

/// An alert named `name` as the notifier queues it.
private func notification(_ name: String, endsAt: Int64 = 0) -> AlertNotification {
    AlertNotification(labels: Labels([SeriesKey.Label("alertname", name)]), annotations: [:], startsAt: 0, endsAt: endsAt, generatorURL: "")
}

/// The batch of a `send` action, `nil` for any other.
private func sent(_ action: AlertmanagerDelivery.Action) -> [AlertNotification]? {
    guard case .send(let batch) = action else { return nil }
    return batch
}
