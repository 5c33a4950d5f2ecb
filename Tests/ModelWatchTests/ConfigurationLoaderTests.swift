import Foundation
import ModelWatchDrift
import ModelWatchProxy
import ModelWatchStore
import Testing

@testable import ModelWatch

@Suite("Configuration loader")
struct ConfigurationLoaderTests {
    @Test("a complete file sets every key")
    func completeFile() throws {
        // The store's directory and the CA file must exist: `check` refuses what `serve` could not use.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-config-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".write(
            toFile: directory + "/ca.pem", atomically: true, encoding: .utf8)
        let yaml = """
            server:
              listen: 0.0.0.0:9000
              max_body_size: 10MiB
              header_timeout: 2s
              idle_timeout: 90s
              grace_period: 500ms
            admin:
              listen: 127.0.0.1:9999
            upstream:
              url: https://model.internal:8443/serving
              connect_timeout: 1.5s
              timeout: 2m
              max_connections: 16
              pool_timeout: 750ms
              ca_file: ca.pem
              readiness_path: /v1/models/iris
              readiness_interval: 10s
              readiness_timeout: 1s
            analysis:
              enabled: false
              queue_capacity: 128
              max_payload_size: 1MiB
              memory_limit: 32MiB
            models:
              default: churn
              names: [churn, iris]
              max_models: 4
              max_versions: 2
            storage:
              path: history.db
              scrape_interval: 15s
              retention: 14d
              chunk_span: 30m
              downsample_resolution: 5m
              downsample_retention: 90d
            """
        let configuration = try ConfigurationLoader.load(path: directory + "/modelwatch.yaml", contents: yaml)
        #expect(configuration.storage.enabled)
        #expect(configuration.storage.path == directory + "/history.db")
        #expect(configuration.storage.scrapeInterval == .seconds(15))
        #expect(configuration.storage.store.retention == .seconds(14 * 86_400))
        #expect(configuration.storage.store.chunkSpan == .seconds(1_800))
        #expect(configuration.storage.store.downsampling?.resolution == .seconds(300))
        #expect(configuration.storage.store.downsampling?.retention == .seconds(90 * 86_400))
        #expect(configuration.analysis.enabled == false)
        #expect(configuration.analysis.queueCapacity == 128)
        #expect(configuration.analysis.maxPayloadSize == 1 << 20)
        #expect(configuration.analysis.memoryLimit == 32 << 20)
        #expect(configuration.models.defaultModel == "churn")
        #expect(configuration.models.names == ["churn", "iris"])
        #expect(configuration.models.maxModels == 4)
        #expect(configuration.models.maxVersions == 2)
        #expect(configuration.server.listen == ListenAddress(host: "0.0.0.0", port: 9000))
        #expect(configuration.server.maxBodySize == 10 << 20)
        #expect(configuration.server.headerTimeout == .seconds(2))
        #expect(configuration.server.idleTimeout == .seconds(90))
        #expect(configuration.server.gracePeriod == .milliseconds(500))
        #expect(configuration.admin.listen == ListenAddress(host: "127.0.0.1", port: 9999))
        #expect(configuration.upstream.url.origin == "https://model.internal:8443")
        #expect(configuration.upstream.url.pathPrefix == "/serving")
        #expect(configuration.upstream.connectTimeout == .milliseconds(1500))
        #expect(configuration.upstream.timeout == .seconds(120))
        #expect(configuration.upstream.maxConnections == 16)
        #expect(configuration.upstream.poolTimeout == .milliseconds(750))
        #expect(configuration.upstream.caFile == directory + "/ca.pem")
        #expect(configuration.readiness.target == .path("/v1/models/iris"))
        #expect(configuration.readiness.interval == .seconds(10))
        #expect(configuration.readiness.timeout == .seconds(1))
    }

    @Test("defaults apply when only the upstream is given, and the admin port stays on loopback")
    func defaults() throws {
        let configuration = try ConfigurationLoader.load(path: nil, overrides: ConfigurationOverrides(upstream: "http://127.0.0.1:8501"))
        #expect(configuration.server.listen == ListenAddress(host: "0.0.0.0", port: 8080))
        #expect(configuration.admin.listen == ListenAddress(host: "127.0.0.1", port: 9464))
        #expect(configuration.server.maxBodySize == 64 << 20)
        #expect(configuration.upstream.timeout == .seconds(60))
        #expect(configuration.upstream.poolTimeout == .seconds(5))
        #expect(configuration.upstream.connectTimeout == .seconds(5))
        #expect(configuration.readiness.target == .automatic)
        #expect(configuration.storage.enabled && configuration.storage.path == "modelwatch.db")
        #expect(configuration.storage.scrapeInterval == .seconds(10))
        #expect(configuration.storage.store.retention == .seconds(7 * 86_400))
        #expect(configuration.storage.store.downsampling == nil)
    }

    @Test("command-line flags override the file")
    func overrides() throws {
        let yaml = "server:\n  listen: 0.0.0.0:9000\nupstream:\n  url: http://a:1\n"
        let configuration = try ConfigurationLoader.load(
            path: "m.yaml",
            contents: yaml,
            overrides: ConfigurationOverrides(
                listen: "127.0.0.1:7000", adminListen: ":7001", upstream: "http://b:2", storagePath: "/tmp/other.db")
        )
        #expect(configuration.storage.path == "/tmp/other.db")
        #expect(configuration.server.listen == ListenAddress(host: "127.0.0.1", port: 7000))
        #expect(configuration.admin.listen == ListenAddress(host: "0.0.0.0", port: 7001))
        #expect(configuration.upstream.url.origin == "http://b:2")
    }

    @Test("upstream.timeout 0 switches the total timeout off")
    func noTimeout() throws {
        let configuration = try ConfigurationLoader.load(path: "m.yaml", contents: "upstream:\n  url: http://a:1\n  timeout: 0\n")
        #expect(configuration.upstream.timeout == nil)
    }

    @Test(
        "a bad value names the file, line and key",
        arguments: [
            ("upstream:\n  url: http://a:1\n  timeout: soon\n", 3, "upstream.timeout"),
            ("upstream:\n  url: ftp://a\n", 2, "upstream.url"),
            ("server:\n  listen: 0.0.0.0:8080\n  max_body_size: lots\nupstream:\n  url: http://a:1\n", 3, "server.max_body_size"),
            ("upstream:\n  url: http://a:1\n  max_connections: 0\n", 3, "upstream.max_connections"),
            ("upstream:\n  url: http://a:1\n  pool_timeout: 0\n", 3, "upstream.pool_timeout"),
            ("upstream:\n  url: http://a:1\n  pool_timeout: soon\n", 3, "upstream.pool_timeout"),
            ("upstream:\n  url: http://a:1\n  conect_timeout: 5s\n", 3, "upstream.conect_timeout"),
            ("upstream:\n  url: http://a:1\nservr:\n  listen: :1\n", 3, "servr"),
            ("admin:\n  listen: localhost\nupstream:\n  url: http://a:1\n", 2, "admin.listen"),
            ("upstream:\n  url: http://a:1\n  readiness_path: health\n", 3, "upstream.readiness_path"),
            ("server:\n  header_timeout: 0\nupstream:\n  url: http://a:1\n", 2, "server.header_timeout"),
            ("upstream: [1, 2]\n", 1, "upstream"),
            ("upstream:\n  url: http://a:1\nanalysis:\n  queue_capacity: 0\n", 4, "analysis.queue_capacity"),
            ("upstream:\n  url: http://a:1\nanalysis:\n  enabled: maybe\n", 4, "analysis.enabled"),
            ("upstream:\n  url: http://a:1\nanalysis:\n  max_payload_size: big\n", 4, "analysis.max_payload_size"),
            ("upstream:\n  url: http://a:1\nmodels:\n  names: iris\n", 4, "models.names"),
            ("upstream:\n  url: http://a:1\nmodels:\n  maximum: 3\n", 4, "models.maximum"),
            ("upstream:\n  url: http://a:1\nstorage:\n  retention: forever\n", 4, "storage.retention"),
            ("upstream:\n  url: http://a:1\nstorage:\n  path: ''\n", 4, "storage.path"),
            ("upstream:\n  url: http://a:1\nstorage:\n  scrape_interval: 10ms\n", 4, "storage.scrape_interval"),
            ("upstream:\n  url: http://a:1\nstorage:\n  retention: 30d\n  downsample_retention: 7d\n", 4, "storage.downsample_retention"),
            ("upstream:\n  url: http://a:1\nstorage:\n  keep: 3d\n", 4, "storage.keep"),
            ("upstream:\n  url: http://a:1\ndrift:\n  window: 90s\n", 4, "drift.window"),
            ("upstream:\n  url: http://a:1\ndrift:\n  method: magic\n", 4, "drift.method"),
            ("upstream:\n  url: http://a:1\ndrift:\n  thresholds:\n    psi: high\n", 5, "drift.thresholds.psi"),
            ("upstream:\n  url: http://a:1\ndrift:\n  thresholds:\n    ks: 0.1\n", 5, "drift.thresholds.ks"),
            (
                "upstream:\n  url: http://a:1\ndrift:\n  models:\n    iris:\n      baseline: /nonexistent.json\n", 6,
                "drift.models.iris.baseline"
            ),
        ]
    )
    func badValue(yaml: String, line: Int, key: String) {
        #expect {
            try ConfigurationLoader.load(path: "modelwatch.yaml", contents: yaml)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.source == "modelwatch.yaml" && error.line == line && error.key == key
        }
    }

    /// Found by fuzzing the loader (bench/fuzz.sh, issue 18): a number too large for the
    /// integer it becomes trapped and took `check` and `serve` down instead of naming the key.
    @Test(
        "a duration or size too large to represent is refused with its key",
        arguments: [
            (
                "upstream:\n  url: http://a:1\nanalysis:\n  memory_limit: "
                    + "25688888888888888888888888888888888888888888888888888888888888888888888888888MiB\n",
                4, "analysis.memory_limit"
            ),
            ("upstream:\n  url: http://a:1\nserver:\n  header_timeout: 1e300s\n", 4, "server.header_timeout"),
            ("upstream:\n  url: http://a:1\n  timeout: 300000d\n", 3, "upstream.timeout"),
        ]
    )
    func valueTooLarge(yaml: String, line: Int, key: String) {
        #expect {
            try ConfigurationLoader.load(path: "modelwatch.yaml", contents: yaml)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.line == line && error.key == key
        }
    }

    @Test("broken YAML is reported with its line")
    func brokenYAML() {
        #expect {
            try ConfigurationLoader.load(path: "modelwatch.yaml", contents: "upstream:\n  url: http://a:1\n  timeout: [5s\n")
        } throws: { error in
            (error as? ConfigurationError)?.line != nil && "\(error)".contains("not valid YAML")
        }
    }

    @Test("a key given twice is refused")
    func duplicateKey() {
        #expect {
            try ConfigurationLoader.load(path: "modelwatch.yaml", contents: "upstream:\n  url: http://a:1\n  url: http://b:1\n")
        } throws: { error in
            "\(error)".contains("modelwatch.yaml") && "\(error)".contains("url")
        }
    }

    @Test("a missing upstream is an error that says how to give one")
    func missingUpstream() {
        #expect {
            try ConfigurationLoader.load(path: "modelwatch.yaml", contents: "server:\n  listen: :8080\n")
        } throws: { error in
            "\(error)".contains("--upstream") && (error as? ConfigurationError)?.key == "upstream.url"
        }
    }

    @Test(
        "durations and sizes accept the documented spellings",
        arguments: [("250ms", 250), ("5s", 5000), ("1.5m", 90000), ("2h", 7_200_000)])
    func durations(text: String, milliseconds: Int) {
        #expect(ValueSyntax.duration(text) == .milliseconds(milliseconds))
    }

    @Test("sizes", arguments: [("1024", 1024), ("512KiB", 524_288), ("64MiB", 67_108_864), ("1GiB", 1 << 30), ("10MB", 10_000_000)])
    func sizes(text: String, bytes: Int) {
        #expect(ValueSyntax.byteSize(text) == bytes)
    }

    @Test("the drift section: window, thresholds (off removes one), method and a model's baseline with its mapping")
    func driftSection() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let baseline = try BaselineBuilder().build(
            model: "iris", source: "test", createdAt: "2026-11-23T00:00:00Z",
            features: [(name: "length", values: (0..<100).map { .number(Double($0)) })], outputs: [])
        let path = folder.appendingPathComponent("iris.json").path
        try baseline.encoded().write(to: URL(fileURLWithPath: path))
        let yaml = """
            upstream:
              url: http://a:1
            drift:
              window: 30m
              min_samples: 200
              method: evidently
              sample_per_minute: 50
              thresholds:
                psi_warn: 0.2
                ks_p_value: 0.01
                jensen_shannon: off
              models:
                iris:
                  baseline: \(path)
                  features:
                    length: input-0[2]
            """
        let drift = try ConfigurationLoader.load(path: "modelwatch.yaml", contents: yaml).drift
        #expect(drift.settings.windowMinutes == 30)
        #expect(drift.settings.thresholds.minimumSamples == 200)
        #expect(drift.settings.method == .evidently)
        #expect(drift.settings.samplePerMinute == 50)
        #expect(drift.settings.thresholds.psiWarn == 0.2)
        #expect(drift.settings.thresholds.alert[.ksPValue] == 0.01)
        #expect(drift.settings.thresholds.alert[.jensenShannon] == nil)
        #expect(drift.settings.thresholds.alert[.psi] == 0.25)
        #expect(drift.models["iris"]?.baseline == baseline)
        #expect(drift.models["iris"]?.mapping == ["length": "input-0[2]"])

        // A baseline of another model, and a mapping of a name the baseline lacks, are refused.
        for (model, mapped, message) in [("churn", "length", "is a baseline for model \"iris\""), ("iris", "height", "is not a feature")] {
            let bad =
                "upstream:\n  url: http://a:1\ndrift:\n  models:\n    \(model):\n      baseline: \(path)\n      features:\n        \(mapped): x\n"
            #expect {
                try ConfigurationLoader.load(path: "modelwatch.yaml", contents: bad)
            } throws: { error in
                "\(error)".contains(message) && (error as? ConfigurationError)?.key?.hasPrefix("drift.models.\(model)") == true
            }
        }
    }
}
