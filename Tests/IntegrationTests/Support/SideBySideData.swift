import Foundation

/// Seeded OpenMetrics history for comparing ModelWatch's PromQL with a real Prometheus: three
/// instances scraped every 15 s with their own phases, counters with a reset, a classic
/// histogram, a gauge with NaN, gaps shorter and longer than the 5-minute lookback.
enum SideBySideData {
    /// Seconds since the epoch of the first scrape.
    static let start: Int64 = 1_700_000_000
    /// One hour of scrapes.
    static let scrapes = 240
    static let interval: Int64 = 15_000

    private struct Instance {
        let name: String
        let model: String
        /// Milliseconds after each step.
        let phase: Int64
        /// Scrape indexes with no sample.
        let missing: Range<Int>
        /// The scrape at which the process restarts and its counters start again.
        let reset: Int?
    }

    private static let instances = [
        Instance(name: "a", model: "iris", phase: 0, missing: 0..<0, reset: nil),
        Instance(name: "b", model: "iris", phase: 4_500, missing: 100..<108, reset: 120),
        Instance(name: "c", model: "mnist", phase: 11_250, missing: 80..<112, reset: nil),
    ]

    private static let buckets = ["0.05", "0.1", "0.5", "1", "+Inf"]

    /// A small linear congruential generator: the same numbers on every run.
    private struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            self.state = self.state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((self.state >> 33) % UInt64(bound))
        }
    }

    private static func time(_ instance: Instance, _ scrape: Int) -> String {
        let milliseconds = Self.start * 1000 + Int64(scrape) * Self.interval + instance.phase
        let fraction = milliseconds % 1000
        return fraction == 0 ? "\(milliseconds / 1000)" : "\(milliseconds / 1000).\(String(format: "%03d", fraction))"
    }

    /// The whole exposition, families contiguous, each series in time order, ending with `# EOF`.
    static func openMetrics() -> String {
        var requests = "# TYPE requests counter\n"
        var durations = "# TYPE request_duration_seconds histogram\n"
        var depth = "# TYPE queue_depth gauge\n"
        for instance in Self.instances {
            var random = Random(state: UInt64(instance.phase) &+ 17)
            for code in ["200", "500"] {
                var total = 0
                for scrape in 0..<Self.scrapes where !instance.missing.contains(scrape) {
                    if scrape == instance.reset { total = 0 }
                    total += random.next(code == "200" ? 20 : 3)
                    requests +=
                        #"requests_total{instance="\#(instance.name)",model="\#(instance.model)",code="\#(code)"} \#(total) \#(Self.time(instance, scrape))"#
                    requests += "\n"
                }
            }
            var counts = Array(repeating: 0, count: Self.buckets.count)
            var sum = 0.0
            var lines = Array(repeating: "", count: Self.buckets.count + 2)
            for scrape in 0..<Self.scrapes where !instance.missing.contains(scrape) {
                if scrape == instance.reset {
                    counts = Array(repeating: 0, count: Self.buckets.count)
                    sum = 0
                }
                for _ in 0..<random.next(12) {
                    let observed = Double(random.next(1500)) / 1000
                    sum += observed
                    for (index, bound) in Self.buckets.enumerated() where bound == "+Inf" || observed <= Double(bound) ?? 0 {
                        counts[index] += 1
                    }
                }
                let labels = #"instance="\#(instance.name)",model="\#(instance.model)""#
                for (index, bound) in Self.buckets.enumerated() {
                    lines[index] +=
                        #"request_duration_seconds_bucket{\#(labels),le="\#(bound)"} \#(counts[index]) \#(Self.time(instance, scrape))"#
                        + "\n"
                }
                lines[Self.buckets.count] += "request_duration_seconds_sum{\(labels)} \(sum) \(Self.time(instance, scrape))\n"
                lines[Self.buckets.count + 1] +=
                    "request_duration_seconds_count{\(labels)} \(counts.last ?? 0) \(Self.time(instance, scrape))\n"
            }
            durations += lines.joined()
            for scrape in 0..<Self.scrapes where !instance.missing.contains(scrape) {
                let value = instance.name == "c" && scrape % 37 == 5 ? "NaN" : "\(random.next(50))"
                depth +=
                    #"queue_depth{instance="\#(instance.name)",model="\#(instance.model)"} \#(value) \#(Self.time(instance, scrape))"#
                    + "\n"
            }
        }
        // Forty series with only three distinct values: how sort and topk order ties shows.
        var level = "# TYPE level gauge\n"
        for slot in 0..<40 {
            for scrape in stride(from: 0, to: Self.scrapes, by: 4) {
                let seconds = Self.start + Int64(scrape) * Self.interval / 1000
                level += #"level{slot="\#(String(format: "%02d", slot))"} \#((slot * 7 + scrape / 4) % 3) \#(seconds)"# + "\n"
            }
        }
        return requests + durations + depth + level + "# EOF\n"
    }

    /// Expressions of the kinds users, dashboards and alert rules write.
    static let expressions: [String] = {
        var all: [String] = []
        let overTime = [
            "rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes", "avg_over_time", "min_over_time",
            "max_over_time", "sum_over_time", "count_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
            "present_over_time",
        ]
        for function in overTime {
            for selector in [#"requests_total{code="200"}"#, "request_duration_seconds_count", "queue_depth"] {
                for window in ["1m", "5m"] { all.append("\(function)(\(selector)[\(window)])") }
            }
        }
        for aggregation in ["sum", "avg", "min", "max", "count", "stddev", "stdvar", "group"] {
            for grouping in ["by (model)", "without (instance)", ""] {
                all.append("\(aggregation) \(grouping) (rate(requests_total[5m]))")
            }
        }
        all += [
            "requests_total", "queue_depth", #"requests_total{code=~"5.."}"#, #"{__name__=~"request_duration_seconds_(sum|count)"}"#,
            #"requests_total{instance!="a",code!~"2.*"}"#, "requests_total offset 10m", "requests_total offset -5m",
            "requests_total @ 1700001800", "rate(requests_total[5m] @ 1700002000)", "rate(requests_total[5m] offset 7m)",
            "histogram_quantile(0.99, sum by (le, model) (rate(request_duration_seconds_bucket[5m])))",
            "histogram_quantile(0.5, rate(request_duration_seconds_bucket[5m]))",
            "histogram_quantile(0.9, sum by (le) (increase(request_duration_seconds_bucket[10m])))",
            "sum by (model) (rate(request_duration_seconds_sum[5m])) / sum by (model) (rate(request_duration_seconds_count[5m]))",
            #"sum by (model) (rate(requests_total{code="500"}[5m])) / ignoring(code) sum by (model) (rate(requests_total[5m]))"#,
            #"rate(requests_total{code="500"}[5m]) / on(instance, model) group_left rate(request_duration_seconds_count[5m])"#,
            #"queue_depth * on(instance) group_left(model) sum by (instance, model) (requests_total)"#,
            #"requests_total > 100"#, #"requests_total > bool 100"#, "queue_depth >= 25", "100 < requests_total",
            "queue_depth == queue_depth", "queue_depth != bool 10", #"requests_total{code="200"} and queue_depth"#,
            #"requests_total{code="200"} and on(instance) queue_depth > 20"#, #"queue_depth or requests_total{code="500"}"#,
            #"requests_total unless on(instance) queue_depth > 25"#, "-queue_depth", "queue_depth % 7", "queue_depth ^ 2",
            "2 ^ 3 ^ 2", "queue_depth atan2 10", "abs(-queue_depth)", "ceil(rate(requests_total[5m]))",
            "floor(rate(requests_total[5m]))", "round(rate(requests_total[5m]), 0.1)", "exp(queue_depth / 10)",
            "ln(requests_total)", "log2(requests_total)", "log10(requests_total)", "sqrt(queue_depth)", "sgn(queue_depth - 25)",
            "clamp(queue_depth, 10, 30)", "clamp_min(queue_depth, 20)", "clamp_max(queue_depth, 20)", "sin(queue_depth)",
            "deg(atan(queue_depth))", "rad(queue_depth)", "pi()", "time()", "timestamp(queue_depth)", "minute()", "hour(queue_depth)",
            "day_of_week()", "day_of_month()", "day_of_year()", "days_in_month()", "month()", "year()",
            #"label_replace(queue_depth, "host", "$1-x", "instance", "(.*)")"#,
            #"label_join(queue_depth, "id", ":", "instance", "model")"#, "scalar(sum(queue_depth))", "vector(1)",
            "sort(queue_depth)", "sort_desc(queue_depth)", "topk(2, queue_depth)", "bottomk(1, rate(requests_total[5m]))",
            "topk by (model) (1, queue_depth)", "quantile(0.9, queue_depth)", "quantile by (model) (0.5, rate(requests_total[5m]))",
            #"count_values("depth", queue_depth)"#, "absent(nonexistent_metric)", #"absent(queue_depth{instance="c"})"#,
            #"absent_over_time(queue_depth{instance="c"}[2m])"#, "predict_linear(requests_total[10m], 600)",
            "holt_winters(queue_depth[10m], 0.5, 0.5)", "quantile_over_time(0.9, queue_depth[10m])",
            "max_over_time(rate(requests_total[1m])[10m:])", "avg_over_time(sum by (model) (rate(requests_total[5m]))[15m:1m])",
            "min_over_time(queue_depth[5m:30s] offset 2m)", "rate(requests_total[5m:15s])",
            "sum(rate(requests_total[5m])) by (code) > 1", "count(queue_depth > 10) by (model)",
            "max by (model) (queue_depth) - min by (model) (queue_depth)", "avg(queue_depth) without (instance, model)",
            "sum(requests_total) + sum(queue_depth)", "1 + 2 * 3", "(1 + 2) * 3 > bool 8",
            "sum by (instance) (changes(queue_depth[30m]))", "resets(requests_total[1h])", "increase(requests_total[1h])",
            "rate(requests_total[30s])", "sort(level)", "sort_desc(level)", "sort(level * 0)", "topk(15, level)", "bottomk(15, level)",
            "topk(40, level)", "sort_desc(sum by (slot) (level))",
            "sum without (code) (requests_total) / on(instance, model) group_left count(queue_depth) by (instance, model)",
        ]
        return all
    }()

    /// Evaluation times, seconds: early, inside instance c's long gap, after b's reset, at the end, off the scrape grid.
    /// Selectors for the `series` and `labels` listings.
    static let listingSelectors = [
        "requests_total", #"requests_total{code=~"5.."}"#, #"{model="mnist"}"#, #"request_duration_seconds_bucket{le="+Inf"}"#,
        #"{__name__=~"queue.*|requests_total",instance!="b"}"#, "no_such_metric",
    ]
    /// Labels whose values are listed.
    static let labelNames = ["instance", "model", "code", "le", "job", "no_such_label"]

    static let times: [Double] = [1_700_000_600, 1_700_001_500, 1_700_002_100.25, 1_700_003_585]
}
