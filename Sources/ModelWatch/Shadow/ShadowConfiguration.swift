public import ModelWatchProxy
public import ModelWatchReference

/// Shadow comparison: which models get a second opinion on their answers, and from whom.
public struct ShadowConfiguration: Sendable {
    /// Shadowed models by model name (as the request names it).
    public var models: [String: ShadowModelConfiguration]

    public init(models: [String: ShadowModelConfiguration] = [:]) {
        self.models = models
    }
}

/// One shadowed model: where the second answer comes from, how much traffic gets one, and how
/// the two answers are lined up and judged.
public struct ShadowModelConfiguration: Sendable {
    /// Who gives the second answer.
    public enum Target: Sendable {
        /// The built-in interpreter running an ONNX file, loaded and validated at start.
        case reference(path: String, model: ReferenceModel)
        /// A second HTTP backend (a canary, the previous version) that receives a copy of the request.
        case url(UpstreamURL)
    }

    public var target: Target
    /// The share of answered requests compared, from 0 to 1.
    public var sample: Double
    /// Sample by a hash of the request body, so the same request is always (or never) compared,
    /// on every replica; otherwise at random.
    public var deterministic: Bool
    /// Comparisons started per second at most, to cap the CPU (or canary load) shadowing costs;
    /// `nil` for no cap.
    public var maxPerSecond: Double?
    /// Inference threads (for a URL shadow: requests in flight to it at once).
    public var threads: Int
    /// Sampled exchanges waiting for a thread; beyond this they are skipped and counted.
    public var queueCapacity: Int
    /// How long a URL shadow may take to answer.
    public var timeout: Duration
    /// Mismatches kept in the store per model and hour; the rest are counted only.
    public var maxMismatchesPerHour: Int
    /// Request fields (JSON object keys, at any depth) replaced before a mismatch is stored.
    public var redact: [String]
    /// How the reference's inputs are built from the decoded request; empty: by name, or the
    /// request's only tensor for a reference with one input.
    public var inputs: [ShadowInputMapping]
    /// Which shadow output is compared with which backend output, and how; empty for a URL
    /// shadow: every output of the backend's answer with the shadow's output of the same name.
    public var outputs: [ShadowOutputPair]

    public init(
        target: Target, sample: Double = 1, deterministic: Bool = false, maxPerSecond: Double? = nil, threads: Int = 1,
        queueCapacity: Int = 64, timeout: Duration = .seconds(5), maxMismatchesPerHour: Int = 100, redact: [String] = [],
        inputs: [ShadowInputMapping] = [], outputs: [ShadowOutputPair] = []
    ) {
        self.target = target
        self.sample = sample
        self.deterministic = deterministic
        self.maxPerSecond = maxPerSecond
        self.threads = threads
        self.queueCapacity = queueCapacity
        self.timeout = timeout
        self.maxMismatchesPerHour = maxMismatchesPerHour
        self.redact = redact
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// One input of the reference and the request tensor it is built from.
public struct ShadowInputMapping: Sendable, Equatable {
    /// The reference model's input name.
    public var input: String
    /// The decoded request tensor (`input-0`, `instances`, a named TF Serving input).
    public var source: String
    /// The element type to convert to; `nil`: the one the model declares.
    public var elementType: ElementType?
    /// The shape to give the values, `-1` for the one dimension inferred from the count; `nil`:
    /// the model's declared shape with its one free dimension inferred, else the request's shape.
    public var shape: [Int]?

    public init(input: String, source: String, elementType: ElementType? = nil, shape: [Int]? = nil) {
        self.input = input
        self.source = source
        self.elementType = elementType
        self.shape = shape
    }
}

/// One shadow output compared with one backend output.
public struct ShadowOutputPair: Sendable, Equatable {
    /// The reference's (or the shadow backend's) output name.
    public var shadowOutput: String
    /// The backend's output tensor name as decoded (`predict`, `predictions`, `output-0`).
    public var backendOutput: String
    public var comparison: OutputComparison

    public init(shadowOutput: String, backendOutput: String, comparison: OutputComparison) {
        self.shadowOutput = shadowOutput
        self.backendOutput = backendOutput
        self.comparison = comparison
    }
}

/// How two outputs are judged to agree.
public enum OutputComparison: Sendable, Equatable, CustomStringConvertible {
    /// Every element equal (class labels, integers, strings).
    case label
    /// The same largest element per row (scores or probabilities); a one-wide row is its own class index.
    case argmax
    /// Every element within `abs + rel × |shadow value|` of the other (numpy's `isclose`).
    case numeric(abs: Double, rel: Double)

    /// The tolerance used when a numeric output names none.
    public static let defaultNumeric = OutputComparison.numeric(abs: 1e-5, rel: 1e-4)

    public var description: String {
        switch self {
        case .label: return "label"
        case .argmax: return "argmax"
        case .numeric(let abs, let rel): return "numeric (abs \(abs), rel \(rel))"
        }
    }
}
