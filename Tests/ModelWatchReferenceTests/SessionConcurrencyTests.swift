import ModelWatchReference
import TestSupport
import Testing

/// One model shared by several threads, a session each: every thread gets the answers a single
/// session gets (the model is immutable; a session's slots are its own).
@Suite struct SessionConcurrencyTests {
    @Test func sessionsOnSeveralThreadsAgree() async throws {
        let model = try ReferenceModel(bytes: MutationTests.seedModel.bytes)
        let rows = try (0..<50).map { row in try Tensor(shape: [2, 3], floats: (0..<6).map { Float(row * 6 + $0) / 7 - 3 }) }
        var single = model.makeSession()
        let expected = try rows.map { try single.run(tensors: ["X": $0])["Y"] }
        let answers = try await withThrowingTaskGroup(of: [Value?].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await onOwnThread {
                        var session = model.makeSession()
                        var results: [Value?] = []
                        for _ in 0..<20 {
                            results = try rows.map { try session.run(tensors: ["X": $0])["Y"] }
                        }
                        return results
                    }
                }
            }
            var all: [[Value?]] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        #expect(answers.count == 4)
        for answer in answers { #expect(answer == expected) }
    }
}
