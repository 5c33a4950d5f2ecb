import Foundation

/// Runs blocking work (a child process waited for, a pipe read to its end) on a thread of its own.
///
/// Swift concurrency has one thread per core, two on the CI machine. Two tests that wait on a slow
/// child process from async code would hold both, and every other test's async work would stall
/// behind them, including the in-process backends a sidecar under test is talking to; that is how
/// a readiness probe once timed out against a backend that had nothing to do.
public func onOwnThread<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try work() }) }.start()
    }
}
