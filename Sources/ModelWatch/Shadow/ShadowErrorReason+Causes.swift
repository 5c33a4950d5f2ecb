import ModelWatchMetrics
import ModelWatchProxy
import ModelWatchReference

// Each failure a comparison can meet, named by its `shadow_errors_total` reason. The switches over
// the feed and upstream failures are exhaustive, so a new kind cannot reach the metric without a
// reason of its own; a reference code added later counts as an execution failure.
extension ShadowErrorReason {
    init(_ reason: ReferenceFeeds.Failure.Reason) {
        switch reason {
        case .inputMissing: self = .inputMissing
        case .inputBinary: self = .inputBinary
        case .inputType: self = .inputType
        case .inputShape: self = .inputShape
        }
    }

    init(_ code: ReferenceError.Code) {
        switch code {
        case .invalidInput: self = .invalidInput
        case .executionFailed: self = .executionFailed
        case .unreadable: self = .referenceUnreadable
        case .malformed: self = .referenceMalformed
        case .unsupportedOperator: self = .referenceUnsupportedOperator
        case .unsupportedOpset: self = .referenceUnsupportedOpset
        case .unsupportedType: self = .referenceUnsupportedType
        case .externalData: self = .referenceExternalData
        case .invalidGraph: self = .referenceInvalidGraph
        default: self = .executionFailed
        }
    }

    init(_ kind: UpstreamFailure.Kind) {
        switch kind {
        case .connect: self = .shadowConnect
        case .timeout: self = .shadowTimeout
        case .reset: self = .shadowReset
        case .tls: self = .shadowTLS
        case .protocol: self = .shadowProtocol
        case .poolTimeout: self = .shadowPoolTimeout
        }
    }
}
