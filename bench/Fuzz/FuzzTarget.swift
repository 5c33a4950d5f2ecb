import Foundation
import ModelWatch
import ModelWatchDrift

@testable import ModelWatchProtocols

/// What each fuzz target feeds its input to. A target must never crash, trap or hang, whatever
/// the bytes: a thrown error is the expected answer to bad input.
enum FuzzTarget: String, CaseIterable {
    case json
    case sse
    case oip
    case tfserving
    case mlflow
    case openai
    case torchserve
    case generic
    case configuration
    case baseline
    case proxy

    func run(_ bytes: [UInt8]) {
        switch self {
        case .json:
            _ = try? JSONReader().parse(bytes)
            _ = try? JSONReader(maxDepth: 8, allowNonFiniteLiterals: false).parse(bytes)
        case .sse:
            let stream = ServerSentEvents(bytes)
            for event in stream.events { _ = event.data.utf8.count }
        case .oip:
            Self.decodeExchange(bytes, method: "POST", target: self.servingPath)
            Self.compareOpenInferenceReaders(bytes)
        case .tfserving, .mlflow, .openai, .torchserve, .generic:
            Self.decodeExchange(bytes, method: "POST", target: self.servingPath)
        case .configuration:
            _ = try? ConfigurationLoader.load(path: "/nonexistent/modelwatch.yaml", contents: String(decoding: bytes, as: UTF8.self))
        case .baseline:
            _ = try? Baseline.decode(Data(bytes), source: "fuzz")
            _ = try? ReferenceTable.parseJSONLines(bytes, source: "fuzz")
            _ = try? ReferenceTable.parseCSV(String(decoding: bytes, as: UTF8.self), source: "fuzz")
        case .proxy:
            ProxyRequestPath.feed(bytes)
        }
    }

    /// An OIP body the direct reader takes must decode as the JSON tree decodes it, for requests
    /// and responses, with NaN and Infinity allowed or not; anything else it must leave to the
    /// tree. A difference traps, so libFuzzer keeps the input. (NaN compares equal to NaN
    /// through the payloads' descriptions.)
    private static func compareOpenInferenceReaders(_ bytes: [UInt8]) {
        for reader in [JSONReader(allowNonFiniteLiterals: false), JSONReader(allowNonFiniteLiterals: true)] {
            for field in ["inputs", "outputs"] {
                let direct = bytes.withUnsafeBytes { buffer in
                    var direct = OpenInferenceDirectReader(bytes: buffer, reader: reader, field: field)
                    return direct.decode()
                }
                guard let direct else { continue }
                let tree: Result<DecodedPayload, PayloadDecodeFailure>
                do throws(PayloadDecodeFailure) {
                    tree = .success(try OpenInferenceCodec(reader: reader).decodeThroughTree(bytes[...], blobBytes: 0, field: field))
                } catch {
                    tree = .failure(error)
                }
                let directAnswer = Result<DecodedPayload, PayloadDecodeFailure>.success(direct)
                precondition(
                    String(reflecting: directAnswer) == String(reflecting: tree),
                    "the direct reader and the tree disagree on \(field): \(directAnswer) against \(tree)")
            }
        }
    }

    /// The request target each protocol decoder recognises (TF Serving's REST API is also
    /// KServe's v1 protocol).
    private var servingPath: String {
        switch self {
        case .oip: "/v2/models/fuzz/versions/1/infer"
        case .tfserving: "/v1/models/fuzz:predict"
        case .mlflow: "/invocations"
        case .openai: "/v1/chat/completions"
        case .torchserve: "/predictions/fuzz/1.0"
        default: "/score"
        }
    }

    /// Splits the input into a request and a response body at its first NUL byte (JSON never
    /// holds one raw); the first byte picks the response's framing, so both JSON answers and
    /// event streams, binary tensors and error statuses are reached.
    private static func decodeExchange(_ bytes: [UInt8], method: String, target: String) {
        guard let selector = bytes.first else { return }
        let rest = bytes.dropFirst()
        let split = rest.firstIndex(of: 0) ?? rest.endIndex
        let request = Array(rest[..<split])
        let response = split < rest.endIndex ? Array(rest[rest.index(after: split)...]) : []
        let streaming = selector & 1 != 0
        let binaryHeader = selector & 2 != 0 ? Int(selector >> 2) : nil
        let status = selector & 0x80 != 0 ? 400 + Int(selector & 0x3F) : 200
        let exchange = ExchangePayloads(
            method: method,
            target: target,
            requestContentType: binaryHeader == nil ? "application/json" : "application/octet-stream",
            requestHeaderLength: binaryHeader.map { min($0, request.count) },
            requestBody: request,
            status: status,
            responseContentType: streaming ? "text/event-stream" : "application/json",
            responseHeaderLength: binaryHeader.map { min($0, response.count) },
            responseBody: response,
            arrivals: streaming
                ? [(endOffset: response.count / 2, elapsed: .milliseconds(5)), (endOffset: response.count, elapsed: .milliseconds(9))] : []
        )
        _ = ExchangeDecoder().decode(exchange)
    }
}
