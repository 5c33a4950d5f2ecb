import Glibc
import Logging
import ModelWatch
import ModelWatchProxy

/// CPU per small exchange on both sides of the hand-off, with the analysis side assembled as
/// `serve` assembles it by default (bounded labels, drift without baselines, no shadow): the
/// event loops' observer calls (`exchangeBegan`, `reserveCapture` for each body, `exchangeEnded`)
/// and the pipeline's `analyze` of the exchange `bench/run.sh` sends (the 101-byte OIP v2 request `bench/lib.sh` writes,
/// the 181-byte answer its nginx backend gives).
///
/// Times are thread CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall time, so other work on a shared
/// machine does not count; the median of several rounds is printed.
///
/// Usage: `swift run -c release modelwatch-analysis-bench [rounds, default 9] [exchanges per round, default 20000]`.
@main
struct AnalysisBenchmark {
    static let request = #"{"id":"bench","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}"#
    static let answer =
        #"{"model_name":"iris","model_version":"v1","id":"bench","parameters":{},"outputs":[{"name":"predict","shape":[1,1],"datatype":"INT64","parameters":{"content_type":"np"},"data":[0]}]}"#
    static let target = "/v2/models/iris/infer"

    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        let rounds = arguments.first.flatMap(Int.init) ?? 9
        let perRound = arguments.dropFirst().first.flatMap(Int.init) ?? 20_000
        let configuration = ModelWatchConfiguration(
            upstream: UpstreamConfiguration(url: UpstreamURL(scheme: "http", host: "127.0.0.1", port: 8501, pathPrefix: "")))
        // The queue must hold a batch, as the pipeline's gather tick lets it.
        let batch = min(configuration.analysis.queueCapacity, 1024)
        var logger = Logger(label: "modelwatch-analysis-bench")
        logger.logLevel = .warning
        let analysis = await StandaloneAnalysis.assemble(configuration: configuration, logger: logger)
        let observer = analysis.observer
        let template = Self.observation()

        var loopTimes: [Double] = []
        var analysisTimes: [Double] = []
        for round in 0...rounds {
            var loopNanoseconds = 0
            var analysisNanoseconds = 0
            var done = 0
            while done < perRound {
                let count = min(batch, perRound - done)
                let loopStart = Self.threadCPUNanoseconds()
                for _ in 0..<count {
                    var observation = template
                    observation.tag = observer.exchangeBegan(method: observation.method, target: observation.target)
                    guard observer.reserveCapture(bytes: observation.requestBody.byteCount),
                        observer.reserveCapture(bytes: observation.responseBody.byteCount)
                    else { fatalError("the capture budget is spent: observations are not being analysed") }
                    observation.reservedBytes = observation.requestBody.byteCount + observation.responseBody.byteCount
                    observer.exchangeEnded(observation)
                }
                let analysisStart = Self.threadCPUNanoseconds()
                let analysed = analysis.analyzeWaiting()
                let end = Self.threadCPUNanoseconds()
                precondition(analysed == count, "observations were dropped: \(analysed) of \(count) analysed")
                loopNanoseconds += analysisStart - loopStart
                analysisNanoseconds += end - analysisStart
                done += count
            }
            // Round 0 warms caches and creates the series; it is not counted.
            if round > 0 {
                loopTimes.append(Double(loopNanoseconds) / Double(perRound) / 1000)
                analysisTimes.append(Double(analysisNanoseconds) / Double(perRound) / 1000)
            }
        }
        Self.check(analysis.exposition(), exchanges: (rounds + 1) * perRound)
        print(
            "\(rounds) rounds of \(perRound) exchanges, POST \(Self.target) (\(Self.request.utf8.count) + \(Self.answer.utf8.count) bytes);"
        )
        print("thread CPU µs per exchange, median (min–max):")
        print("")
        print("| side | µs per exchange |")
        print("|---|---:|")
        print("| event loop: exchangeBegan + 2 × reserveCapture + exchangeEnded | \(Self.summary(loopTimes)) |")
        print("| analysis pipeline: analyze | \(Self.summary(analysisTimes)) |")
    }

    /// One exchange as the proxy records it: the headers wrk sends, nginx's response head.
    static func observation() -> ExchangeObservation {
        let head = UpstreamResponseHead(
            status: 200,
            fields: [
                ("Server", "nginx/1.22.1"), ("Date", "Tue, 14 Jan 2025 10:00:00 GMT"), ("Content-Type", "application/json"),
                ("Content-Length", String(Self.answer.utf8.count)), ("Connection", "keep-alive"),
            ])
        return ExchangeObservation(
            tag: 0,
            method: "POST",
            target: Self.target,
            requestHeaders: [
                ("Host", "127.0.0.1:8080"), ("Content-Type", "application/json"), ("Content-Length", String(Self.request.utf8.count)),
            ],
            requestBody: CapturedBody(Self.request.utf8),
            status: 200,
            responseHead: head,
            responseBody: CapturedBody(Self.answer.utf8),
            outcome: .completed,
            duration: .microseconds(180),
            upstream: UpstreamTimings(firstByte: .microseconds(90), total: .microseconds(120))
        )
    }

    /// Stops the run when the exchanges were not all counted as the sidecar would count them.
    static func check(_ exposition: String, exchanges: Int) {
        let expected = [
            #"modelwatch_requests_total{model="iris",version="v1",protocol="v2",endpoint="infer",code="200",source="backend"} \#(exchanges)"#,
            #"modelwatch_predictions_total{model="iris",version="v1"} \#(exchanges)"#,
            #"modelwatch_requests_in_flight{model="iris"} 0"#,
        ]
        for line in expected where !exposition.contains(line) {
            fatalError("the exposition lacks \(line)")
        }
    }

    static func threadCPUNanoseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return time.tv_sec * 1_000_000_000 + time.tv_nsec
    }

    static func summary(_ values: [Double]) -> String {
        let sorted = values.sorted()
        func format(_ value: Double) -> String { String(Double(Int((value * 100).rounded())) / 100) }
        return "\(format(sorted[sorted.count / 2])) (\(format(sorted[0]))–\(format(sorted[sorted.count - 1])))"
    }
}
