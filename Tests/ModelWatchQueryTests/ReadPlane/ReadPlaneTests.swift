import Foundation
import ModelWatchStore
import Synchronization
import Testing

@testable import ModelWatchQuery

@Suite("Read plane")
struct ReadPlaneTests {
    @Test("slots: readers are handed out, then queries wait in line up to the limit, then are refused; releases serve the line in order")
    func slots() {
        var slots = ReaderSlots<String>(readers: 2, maxWaiting: 2)
        guard case .run(let first) = slots.admit("a"), case .run(let second) = slots.admit("b") else {
            Issue.record("two readers were not handed out")
            return
        }
        #expect(first != second)
        guard case .wait = slots.admit("c"), case .wait = slots.admit("d") else {
            Issue.record("the line did not take two waiters")
            return
        }
        guard case .refuse = slots.admit("e") else {
            Issue.record("a fifth query was not refused")
            return
        }
        #expect(slots.waitingCount == 2)
        #expect(slots.release(first) == "c")
        #expect(slots.release(second) == "d")
        #expect(slots.waitingCount == 0)
        // With the line empty, released readers become free again.
        #expect(slots.release(first) == nil)
        guard case .run(let again) = slots.admit("f") else {
            Issue.record("a free reader was not handed out")
            return
        }
        #expect(again == first)
    }

    @Test("a query past the readers and the line is refused at once, and the others finish")
    func overload() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("readplane-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.db"
        do {
            let store = try TimeSeriesStore(path: path)
            _ = try store.append([(SeriesKey(name: "up"), 1)], at: 1_000)
        }
        let plane = ReadPlane(path: path, readers: 1, maxWaiting: 1)
        // The one reader is held until the test lets it go, so the line fills deterministically.
        let gate = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        async let holder: Int = plane.read { store in
            entered.signal()
            gate.wait()
            return try store.select(SeriesSelector(matchers: []), from: 0, through: 2_000).count
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                entered.wait()
                continuation.resume()
            }
        }
        async let waiter: Int = plane.read { store in try store.select(SeriesSelector(matchers: []), from: 0, through: 2_000).count }
        while plane.waiting < 1 { await Task.yield() }
        await #expect(throws: ReadPlaneError.self) {
            try await plane.read { _ in 0 }
        }
        gate.signal()
        #expect(try await holder == 1)
        #expect(try await waiter == 1)
        // The plane serves again once the line is clear.
        #expect(try await plane.read { _ in 7 } == 7)
    }

    @Test("a file that cannot be opened is an error that names it, not a crash")
    func missingFile() async {
        let plane = ReadPlane(path: "/nonexistent/store.db")
        await #expect {
            try await plane.read { _ in 0 }
        } throws: { error in
            "\(error)".contains("/nonexistent/store.db")
        }
    }
}
