import Logging
import ModelWatchMetrics
import ModelWatchProtocols
import ModelWatchProxy

/// Turns one observation into metrics: decodes its payloads, resolves bounded label values and
/// records every series the exchange touches. Runs only on the analysis pipeline.
struct ExchangeAnalyzer {
    let catalogue: MetricCatalogue
    let labels: BoundedLabelValues
    let defaultModel: String?
    let logger: Logger
    /// Where decoded payload values go for drift; `nil` when drift is off.
    let drift: DriftTracker?
    /// Says once when the backend starts failing and once when it answers again.
    let outages: UpstreamOutageLogger
    /// Where answered exchanges of shadowed models go for comparison; `nil` when none is shadowed.
    let shadow: ShadowService?
    /// Routes as the event loops recognised them; an observation's tag is a slot in it.
    let routes: RouteTable
    private let decoder = ExchangeDecoder()

    init(
        catalogue: MetricCatalogue, labels: BoundedLabelValues, defaultModel: String?, drift: DriftTracker? = nil,
        shadow: ShadowService? = nil,
        logger: Logger
    ) {
        self.catalogue = catalogue
        self.labels = labels
        self.defaultModel = defaultModel
        self.drift = drift
        self.shadow = shadow
        self.logger = logger
        self.outages = UpstreamOutageLogger(logger: logger)
        self.routes = RouteTable(labels: labels, catalogue: catalogue, defaultModel: defaultModel)
    }

    /// The analyzer `serve` runs: label bounds from the models section, where models with a
    /// baseline or a shadow always keep their own label.
    init(
        configuration: ModelWatchConfiguration, catalogue: MetricCatalogue, drift: DriftTracker?, shadow: ShadowService?, logger: Logger
    ) {
        let models = configuration.models
        self.init(
            catalogue: catalogue,
            labels: BoundedLabelValues(
                knownModels: models.names + configuration.drift.models.keys.sorted() + configuration.shadow.models.keys.sorted(),
                maxModels: models.maxModels,
                maxVersions: models.maxVersions),
            defaultModel: models.defaultModel,
            drift: drift,
            shadow: shadow,
            logger: logger
        )
    }

    /// The backend gave the status when its response completed or its head reached the client;
    /// otherwise the status is the sidecar's own (its errors, and 499 for a client that left).
    static func answerSource(of observation: ExchangeObservation) -> AnswerSource {
        guard observation.status != nil else { return .sidecar }
        return observation.outcome == .completed || observation.responseHead != nil ? .backend : .sidecar
    }

    /// Records everything about one exchange, its request count last.
    @discardableResult
    func analyze(_ observation: ExchangeObservation) -> DecodedExchange {
        let payloads = Self.payloads(of: observation)
        // The route the event loop recognised when the request head arrived, with its model label.
        let entry = self.routes.entry(observation.tag)
        let route = entry?.route ?? ServingRoute.recognize(method: observation.method, target: observation.target)
        let decoded = self.decoder.decode(payloads, route: route)
        let model: String
        if let entry, entry.route != nil, decoded.model == route.model {
            // The label the table resolved from the same name: a name's label never changes once given.
            model = entry.model
        } else {
            model = self.labels.model(decoded.model ?? self.defaultModel ?? "unknown")
        }
        let version =
            decoded.route.version != nil
            ? self.labels.version(decoded.version ?? "", of: model)
            : self.labels.unversionedRouteVersion(answered: decoded.version, of: model)
        // Kept per route only where the route fixes the protocol and endpoint.
        let series = entry?.route != nil ? entry?.series : nil
        let protocolName = decoded.route.protocol.rawValue
        let exchangeLabels = ExchangeLabels(model: model, version: version, protocol: protocolName, endpoint: decoded.route.endpoint)

        let source = Self.answerSource(of: observation)
        if case .upstreamFailed(let failure) = observation.outcome {
            self.catalogue.recordUpstreamError(kind: failure.kind.rawValue, model: model)
            let path = observation.target.split(separator: "?", maxSplits: 1).first ?? ""
            self.outages.failed(route: "\(observation.method) \(path)", model: model, failure: failure)
        } else if source == .backend {
            self.outages.answered()
        }
        if let rows = decoded.predictions, rows > 0 {
            let recorder =
                series?.predictionRecorder(model: model, version: version, in: self.catalogue)
                ?? self.catalogue.predictionRecorder(model: model, version: version)
            recorder.record(rows: rows)
        }
        if let tokens = decoded.tokens {
            self.catalogue.recordTokens(prompt: tokens.prompt, completion: tokens.completion, model: model)
        }
        if let timing = decoded.tokenTiming {
            self.catalogue.recordTokenTiming(timeToFirstToken: timing.timeToFirstToken, interTokenGaps: timing.interTokenGaps, model: model)
        }
        for (side, failure) in decoded.failures {
            self.catalogue.recordDecodeFailure(reason: failure.reason.rawValue, protocol: protocolName, model: model)
            self.logger.debug(
                "payload not decoded",
                metadata: [
                    "model": "\(model)", "payload.side": "\(side.rawValue)", "payload.reason": "\(failure.reason.rawValue)",
                    "payload.detail": "\(failure.detail)",
                ]
            )
        }
        self.drift?.observe(model: model, decoded: decoded, status: observation.status)
        self.shadow?.offer(model: model, version: version, decoded: decoded, payloads: payloads)
        let measurement = ExchangeMeasurement(
            labels: exchangeLabels,
            // 499, as nginx logs it, when the client left before any status reached it.
            code: observation.status.map(String.init) ?? "499",
            source: source,
            duration: observation.duration,
            upstream: observation.upstream?.total,
            requestBytes: observation.requestBody.byteCount,
            responseBytes: observation.responseBody.byteCount
        )
        let kind = RouteSeries.Kind(model: model, version: version, status: observation.status, source: source)
        let recorder =
            series?.exchangeRecorder(kind, labels: exchangeLabels, code: measurement.code, in: self.catalogue)
            ?? self.catalogue.exchangeRecorder(labels: exchangeLabels, code: measurement.code, source: source)
        // The request is counted last: whoever sees it in a scrape sees all it led to.
        recorder.record(measurement)
        return decoded
    }

    /// The observation in the decoder's terms: content types, binary-extension header lengths, bodies.
    static func payloads(of observation: ExchangeObservation) -> ExchangePayloads {
        let responseFields = observation.responseHead?.values(of: "content-type", "inference-header-content-length")
        return ExchangePayloads(
            method: observation.method,
            target: observation.target,
            requestContentType: Self.value(of: "content-type", in: observation.requestHeaders),
            requestHeaderLength: Self.value(of: "inference-header-content-length", in: observation.requestHeaders).flatMap { Int($0) },
            requestBody: observation.requestBody.isComplete ? observation.requestBody.bytes : nil,
            status: observation.status,
            responseContentType: responseFields?.first,
            responseHeaderLength: responseFields?.second.flatMap { Int($0) },
            responseBody: observation.responseBody.isComplete ? observation.responseBody.bytes : nil,
            responseComplete: observation.outcome == .completed,
            arrivals: observation.arrivals.map { ($0.endOffset, $0.elapsed) }
        )
    }

    private static func value(of name: String, in headers: [(name: String, value: String)]) -> String? {
        headers.first { $0.name.isHeaderName(name) }?.value
    }
}
