import Foundation

/// One scrape of the sidecar's `/metrics`, parsed just enough for tests to read sample values.
struct MetricsScrape: CustomStringConvertible {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let text: String
    let samples: [Sample]

    init(text: String) {
        self.text = text
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else {
                samples.append(Sample(name: String(series), labels: [:], value: value))
                continue
            }
            var labels: [String: String] = [:]
            // Label values in these tests hold no escaped quotes or commas.
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            samples.append(Sample(name: String(series[..<brace]), labels: labels, value: value))
        }
        self.samples = samples
    }

    /// The sum over every series of `name` whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
        self.samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }.reduce(0) { $0 + $1.value }
    }

    var description: String { self.text }
}

extension ModelWatchProcess {
    func scrape() async throws -> MetricsScrape {
        let response = try await TestClient.send(port: self.adminPort, path: "/metrics")
        guard response.status == 200 else { throw TestFailure("/metrics answered \(response.status)") }
        return MetricsScrape(text: response.text)
    }

    /// Scrapes until `condition` holds (analysis runs after the response), or returns the last scrape.
    ///
    /// When it holds, the answer is one more scrape: families are read one after another, so the
    /// scrape that first saw the condition may have read another family before the same exchange
    /// reached it. The analyzer counts an exchange's request last, so a scrape taken after the
    /// request showed up sees everything that exchange recorded.
    func scrape(until condition: (MetricsScrape) -> Bool, timeout: Duration = .seconds(30)) async throws -> MetricsScrape {
        let deadline = ContinuousClock.now + timeout
        while true {
            let scrape = try await self.scrape()
            if condition(scrape) { return try await self.scrape() }
            if ContinuousClock.now >= deadline { return scrape }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
