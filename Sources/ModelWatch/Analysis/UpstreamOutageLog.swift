import Logging
import ModelWatchProxy
import Synchronization

/// When to say that the backend is failing: one line when an outage begins (naming the route,
/// the model and libcurl's reason), at most one summary a minute while it lasts, and one line
/// with the counts when the backend answers again, instead of a warning per failed request, which
/// a dead backend under load turns into a flood.
struct UpstreamOutageLog {
    /// A line to log.
    enum Line: Equatable {
        case began(route: String, model: String, failure: UpstreamFailure)
        case continuing(failures: Int, byKind: [String: Int])
        case ended(failures: Int, byKind: [String: Int], seconds: Int64)
    }

    /// How often a lasting outage is summarised.
    static let summaryInterval: Int64 = 60_000

    private var outage: (began: Int64, lastLine: Int64, failures: Int, sinceLine: Int, byKind: [String: Int])?

    /// A failed exchange at `now` (milliseconds).
    mutating func failed(route: String, model: String, failure: UpstreamFailure, now: Int64) -> Line? {
        guard var outage = self.outage else {
            self.outage = (now, now, 1, 0, [failure.kind.rawValue: 1])
            return .began(route: route, model: model, failure: failure)
        }
        outage.failures += 1
        outage.sinceLine += 1
        outage.byKind[failure.kind.rawValue, default: 0] += 1
        defer { self.outage = outage }
        guard now - outage.lastLine >= Self.summaryInterval else { return nil }
        defer {
            outage.lastLine = now
            outage.sinceLine = 0
        }
        return .continuing(failures: outage.sinceLine, byKind: outage.byKind)
    }

    /// An exchange the backend answered, at `now` (milliseconds).
    mutating func answered(now: Int64) -> Line? {
        guard let outage = self.outage else { return nil }
        self.outage = nil
        return .ended(failures: outage.failures, byKind: outage.byKind, seconds: (now - outage.began) / 1000)
    }
}

/// The analysis pipeline's `UpstreamOutageLog`, writing its lines.
final class UpstreamOutageLogger: Sendable {
    private let state = Mutex(UpstreamOutageLog())
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func failed(route: String, model: String, failure: UpstreamFailure) {
        self.write(self.state.withLock { $0.failed(route: route, model: model, failure: failure, now: WallClock.milliseconds()) })
    }

    func answered() {
        self.write(self.state.withLock { $0.answered(now: WallClock.milliseconds()) })
    }

    private func write(_ line: UpstreamOutageLog.Line?) {
        switch line {
        case .began(let route, let model, let failure):
            self.logger.warning(
                "backend failing: \(failure.detail)",
                metadata: ["route": "\(route)", "model": "\(model)", "upstream.error.kind": "\(failure.kind.rawValue)"])
        case .continuing(let failures, let byKind):
            self.logger.warning(
                "backend still failing",
                metadata: ["upstream.failures": "\(failures)", "upstream.failures.by_kind": "\(Self.text(byKind))"])
        case .ended(let failures, let byKind, let seconds):
            self.logger.notice(
                "backend answering again",
                metadata: [
                    "upstream.failures": "\(failures)", "upstream.failures.by_kind": "\(Self.text(byKind))",
                    "upstream.outage_seconds": "\(seconds)",
                ])
        case nil:
            break
        }
    }

    private static func text(_ counts: [String: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}
