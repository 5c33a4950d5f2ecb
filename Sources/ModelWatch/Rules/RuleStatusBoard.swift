import ModelWatchAlerting
import Synchronization

/// The latest state of every rule group, written by the evaluation service after each evaluation
/// and read by `/api/v1/rules` and `/api/v1/alerts`.
final class RuleStatusBoard: Sendable {
    private let groups: Mutex<[RuleGroupEvaluator]>

    /// Groups before their first evaluation.
    init(groups: [RuleGroup], defaultInterval: Int64) {
        self.groups = Mutex(groups.map { RuleGroupEvaluator(group: $0, defaultInterval: defaultInterval) })
    }

    /// Replaces the state of the group at `index` (the order of the configuration).
    func update(_ index: Int, _ evaluator: RuleGroupEvaluator) {
        self.groups.withLock { groups in
            if groups.indices.contains(index) { groups[index] = evaluator }
        }
    }

    /// A copy of every group's state.
    var snapshot: [RuleGroupEvaluator] { self.groups.withLock { $0 } }
}
