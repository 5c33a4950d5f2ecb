import ModelWatchMetrics
import Synchronization

/// The metric series one route's exchanges record into, kept on its route table entry, so the
/// analysis pipeline hashes no label set (and takes none of the catalogue's locks) for an
/// exchange like one it has seen.
///
/// A route fixes the protocol and endpoint labels; what still varies between its exchanges (the
/// model and version labels, the status, the answer's source) is compared, not hashed, in a short
/// list. The list is bounded: past `capacity` kinds of exchange, further ones are looked up in the
/// catalogue each time, as they were before any was kept.
final class RouteSeries: Sendable {
    /// What distinguishes one kind of exchange on a route from another.
    struct Kind: Equatable {
        let model: String
        let version: String
        /// The status the client received; `nil` when it received none.
        let status: Int?
        let source: AnswerSource
    }

    private struct State {
        var exchanges: [(kind: Kind, recorder: ExchangeRecorder)] = []
        var predictions: [(model: String, version: String, recorder: PredictionRecorder)] = []
    }

    /// Kinds of exchange kept, and model versions with predictions kept, per route.
    static let capacity = 16
    private let state = Mutex(State())

    /// The recorder of exchanges of `kind`, with these labels and code, from `catalogue` on first sight.
    func exchangeRecorder(_ kind: Kind, labels: ExchangeLabels, code: String, in catalogue: MetricCatalogue) -> ExchangeRecorder {
        if let kept = self.state.withLock({ state in state.exchanges.first { $0.kind == kind }?.recorder }) { return kept }
        // The catalogue's own locks are taken outside this one.
        let recorder = catalogue.exchangeRecorder(labels: labels, code: code, source: kind.source)
        self.state.withLock { state in
            if state.exchanges.count < Self.capacity, !state.exchanges.contains(where: { $0.kind == kind }) {
                state.exchanges.append((kind, recorder))
            }
        }
        return recorder
    }

    /// The prediction recorder of a model version on this route, from `catalogue` on first use.
    func predictionRecorder(model: String, version: String, in catalogue: MetricCatalogue) -> PredictionRecorder {
        let kept = self.state.withLock { state in
            state.predictions.first { $0.model == model && $0.version == version }?.recorder
        }
        if let kept { return kept }
        let recorder = catalogue.predictionRecorder(model: model, version: version)
        self.state.withLock { state in
            if state.predictions.count < Self.capacity, !state.predictions.contains(where: { $0.model == model && $0.version == version }) {
                state.predictions.append((model, version, recorder))
            }
        }
        return recorder
    }
}
