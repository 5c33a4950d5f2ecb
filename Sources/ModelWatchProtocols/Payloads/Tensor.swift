/// One named input or output of a prediction, flattened in row-major order.
public struct Tensor: Sendable, Equatable {
    /// Where a tensor's values came from and what form they take.
    public enum Values: Sendable, Equatable {
        /// Numeric and boolean data (booleans as 0 and 1).
        case numbers([Double])
        /// `BYTES` data sent as JSON strings.
        case strings([String])
        /// Data in the binary-tensor extension: only its size is known without reading the blob.
        case binary(byteCount: Int)
    }

    public var name: String
    /// The protocol's datatype (`FP32`, `INT64`, `BYTES`, …).
    public var datatype: String
    public var shape: [Int]
    public var values: Values

    public init(name: String, datatype: String, shape: [Int], values: Values) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
        self.values = values
    }

    /// The number of elements the shape describes.
    public var elementCount: Int {
        self.shape.reduce(1, *)
    }
}

/// What could be read from one request or response body.
public struct DecodedPayload: Sendable, Equatable {
    public var model: String?
    public var version: String?
    public var tensors: [Tensor]
    /// Rows in the batch: the first dimension of the first tensor, when it has one.
    public var batchSize: Int?

    public init(model: String? = nil, version: String? = nil, tensors: [Tensor], batchSize: Int?) {
        self.model = model
        self.version = version
        self.tensors = tensors
        self.batchSize = batchSize
    }
}

/// Why a body could not be decoded: a bounded set, used as the `reason` metric label.
public struct PayloadDecodeFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable, CaseIterable {
        case invalidJSON = "invalid_json"
        case notAnObject = "not_an_object"
        case missingField = "missing_field"
        case wrongType = "wrong_type"
        case unknownDatatype = "unknown_datatype"
        case shapeMismatch = "shape_mismatch"
        case invalidShape = "invalid_shape"
        case invalidBinaryHeader = "invalid_binary_header"
        /// An event stream that ended without its terminator, or mid-event.
        case truncatedStream = "truncated_stream"
        /// The body was larger than the sidecar keeps for analysis; it was proxied, not decoded.
        case tooLarge = "too_large"
    }

    public let reason: Reason
    /// What was wrong, for logs; never a label value.
    public let detail: String

    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(self.reason.rawValue): \(self.detail)" }
}
