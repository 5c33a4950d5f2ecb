/// Recognises an exchange's protocol and decodes both bodies with that protocol's codec.
///
/// Requests are decoded whatever the backend answered, so a malformed payload is counted even
/// when the backend refused it; responses only when the status is 2xx. A body that could not be
/// kept is reported as `too_large` rather than guessed at.
public struct ExchangeDecoder: Sendable {
    private let openInference = OpenInferenceCodec()
    private let tfServing = TFServingCodec()
    private let openAI = OpenAICodec()
    private let mlflow = MLflowCodec()
    private let generic = GenericCodec()

    public init() {}

    public func decode(_ exchange: ExchangePayloads) -> DecodedExchange {
        self.decode(exchange, route: ServingRoute.recognize(method: exchange.method, target: exchange.target))
    }

    /// Decodes an exchange whose route was recognised already, when its request head arrived.
    /// - Parameters:
    ///   - route: what `ServingRoute.recognize` said of the exchange's method and target.
    public func decode(_ exchange: ExchangePayloads, route: ServingRoute) -> DecodedExchange {
        var decoded = DecodedExchange(route: route)
        decoded.model = route.model
        decoded.version = route.version
        guard self.isDecodable(route, exchange) else { return decoded }

        // A 2xx cut short (the client left, the backend failed mid-body) answered nothing: its
        // body is only decoded when streamed, since the events that arrived still count.
        let succeeded =
            (exchange.status.map { (200..<300).contains($0) } ?? false)
            && (exchange.responseComplete || Self.isEventStream(exchange.responseContentType))
        if let body = exchange.requestBody {
            do throws(PayloadDecodeFailure) {
                decoded.request = try self.decodeRequest(body, route: route, exchange: exchange)
            } catch {
                decoded.failures.append((.request, error))
            }
        } else {
            decoded.failures.append((.request, PayloadDecodeFailure(.tooLarge, "the request body was not kept")))
        }
        if succeeded {
            if let body = exchange.responseBody {
                self.decodeResponse(body, route: route, exchange: exchange, into: &decoded)
            } else {
                decoded.failures.append((.response, PayloadDecodeFailure(.tooLarge, "the response body was not kept")))
            }
        }
        decoded.model = route.model ?? decoded.request?.model ?? decoded.response?.model
        decoded.version = route.version ?? decoded.response?.version
        if succeeded {
            decoded.predictions = decoded.request?.batchSize ?? decoded.response?.batchSize
        }
        return decoded
    }

    /// Prediction calls of a known protocol always; other calls only when they carry JSON.
    private func isDecodable(_ route: ServingRoute, _ exchange: ExchangePayloads) -> Bool {
        guard route.protocol == .generic || route.protocol == .torchServe else { return true }
        guard exchange.method == "POST" || exchange.method == "PUT" else { return false }
        return Self.isJSON(exchange.requestContentType)
    }

    private func decodeRequest(_ body: [UInt8], route: ServingRoute, exchange: ExchangePayloads) throws(PayloadDecodeFailure)
        -> DecodedPayload
    {
        switch route.protocol {
        case .openInference: return try self.openInference.decodeRequest(body, headerLength: exchange.requestHeaderLength)
        case .tfServing: return try self.tfServing.decodeRequest(body)
        case .openAI: return try self.openAI.decodeRequest(body, endpoint: route.endpoint)
        case .mlflow: return try self.mlflow.decodeRequest(body)
        case .torchServe, .generic: return try self.generic.decode(body, field: "input")
        }
    }

    private func decodeResponse(_ body: [UInt8], route: ServingRoute, exchange: ExchangePayloads, into decoded: inout DecodedExchange) {
        do throws(PayloadDecodeFailure) {
            switch route.protocol {
            case .openInference:
                decoded.response = try self.openInference.decodeResponse(body, headerLength: exchange.responseHeaderLength)
            case .tfServing:
                decoded.response = try self.tfServing.decodeResponse(body)
            case .mlflow:
                decoded.response = try self.mlflow.decodeResponse(body)
            case .openAI where Self.isEventStream(exchange.responseContentType):
                self.decodeStream(body, exchange: exchange, into: &decoded)
            case .openAI:
                let (payload, usage) = try self.openAI.decodeResponse(body)
                decoded.response = payload
                decoded.tokens = usage
            case .torchServe, .generic:
                guard Self.isJSON(exchange.responseContentType) else { return }
                decoded.response = try self.generic.decode(body, field: "output")
            }
        } catch {
            decoded.failures.append((.response, error))
        }
    }

    private func decodeStream(_ body: [UInt8], exchange: ExchangePayloads, into decoded: inout DecodedExchange) {
        let stream = self.openAI.decodeStream(body)
        decoded.response = DecodedPayload(model: stream.model, tensors: [], batchSize: nil)
        // Without usage in the last chunk, one content event per token is what vLLM and OpenAI send.
        decoded.tokens = stream.usage ?? TokenUsage(prompt: nil, completion: stream.contentEvents)
        if let truncation = stream.truncation {
            decoded.failures.append((.response, truncation))
        }
        // Both lists are in stream order: one walk pairs each event with the chunk that completed it.
        var times: [Duration] = []
        var chunk = exchange.arrivals.startIndex
        for end in stream.contentEventEnds {
            while chunk < exchange.arrivals.endIndex, exchange.arrivals[chunk].endOffset < end { chunk += 1 }
            guard chunk < exchange.arrivals.endIndex else { break }
            times.append(exchange.arrivals[chunk].elapsed)
        }
        if let first = times.first {
            let gaps = zip(times.dropFirst(), times).map { later, earlier in later - earlier }
            decoded.tokenTiming = TokenTiming(timeToFirstToken: first, interTokenGaps: gaps)
        }
    }

    private static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType = contentType?.lowercased() else { return false }
        return contentType.hasPrefix("application/json") || contentType.contains("+json")
    }

    private static func isEventStream(_ contentType: String?) -> Bool {
        contentType?.lowercased().hasPrefix("text/event-stream") ?? false
    }
}
