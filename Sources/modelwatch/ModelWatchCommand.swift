import ArgumentParser
import Glibc
import Logging
import ModelWatch
import ModelWatchAlerting
import ModelWatchDrift

/// `modelwatch`: a monitoring sidecar for model servers.
@main
struct ModelWatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modelwatch",
        abstract: "A monitoring sidecar for model servers.",
        version: Sidecar.version,
        subcommands: [
            Serve.self, Check.self, Query.self, Import.self, API.self, BaselineCommand.self, DriftCommand.self, ReferenceCommand.self,
            ShadowCommand.self,
            TestCommand.self,
        ]
    )

    /// Runs the command; every failure is one line on standard error. A command that ran and
    /// failed (a bad file, key or value) exits 1; a command line that does not parse exits 2.
    /// Help and `--version` print as usual and exit 0.
    static func main() async {
        do {
            var command = try Self.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            Self.fail("modelwatch: \(failure.description)", status: 1)
        } catch {
            let code = Self.exitCode(for: error)
            guard code != .success else { Self.exit(withError: error) }
            if code == .validationFailure {
                Self.fail("modelwatch: \(Self.message(for: error)) (see modelwatch --help)", status: 2)
            }
            Self.fail("modelwatch: \(Self.message(for: error))", status: 1)
        }
    }

    private static func fail(_ line: String, status: Int32) -> Never {
        var line = line.split(whereSeparator: \.isNewline).joined(separator: " ")
        line += "\n"
        var bytes = Array(line.utf8)
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            guard written > 0 else { break }
            bytes.removeFirst(written)
        }
        Glibc.exit(status)
    }
}

/// A command that was well formed but could not do its work: a file that cannot be read, a key
/// with a bad value, a store without the asked-for data. Printed as one line, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Options shared by the commands that read `modelwatch.yaml`.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .long, help: "Path of the YAML configuration file.")
    var config: String?

    @Option(name: .long, help: "Data-port address (host:port); overrides server.listen.")
    var listen: String?

    @Option(name: .long, help: "Admin-port address (host:port); overrides admin.listen.")
    var adminListen: String?

    @Option(name: .long, help: "Backend base URL, e.g. http://127.0.0.1:8501; overrides upstream.url.")
    var upstream: String?

    @Option(name: .long, help: "SQLite file the metrics are recorded into; overrides storage.path.")
    var storagePath: String?

    func load() throws -> ModelWatchConfiguration {
        do {
            return try ConfigurationLoader.load(
                path: self.config,
                overrides: ConfigurationOverrides(
                    listen: self.listen, adminListen: self.adminListen, upstream: self.upstream, storagePath: self.storagePath)
            )
        } catch {
            throw CommandFailure("invalid configuration: \(error)")
        }
    }
}

/// `modelwatch serve`: run the sidecar.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Proxy and monitor a model server.")

    @OptionGroup var options: ConfigurationOptions

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError("unknown log level \"\(self.logLevel)\"")
        }
    }

    func run() async throws {
        let configuration = try self.options.load()
        let level = Logger.Level(rawValue: self.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        do {
            try await Sidecar.run(configuration: configuration, logger: Logger(label: "modelwatch"))
        } catch {
            throw CommandFailure("cannot serve: \(error)")
        }
    }
}

/// `modelwatch check`: validate a configuration without starting anything.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate a configuration file and exit.")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try self.options.load()
        print("configuration ok: \(configuration.summary)")
    }
}

/// `modelwatch query`: evaluate PromQL over a store file.
struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a PromQL expression over a store file.",
        discussion: """
            An instant query at --time (default now); a range query with --step over --start through \
            --end; or, for a series selector with --start/--end and no step, or with no time at all, its \
            raw samples (the last hour by default). Times: \
            now, now-15m (before now), Unix seconds or RFC 3339. The file may be in use by a running \
            sidecar; the query reads its last committed snapshot.
            """
    )

    @Option(name: .long, help: "The SQLite store file (storage.path of the sidecar).")
    var db: String

    @Argument(help: #"PromQL, e.g. 'sum by (model) (rate(modelwatch_requests_total{code=~"5.."}[5m]))'."#)
    var expression: String

    @Option(name: .long, help: "Time of an instant query (default: now).")
    var time: String?

    @Option(name: .long, help: "First time of a range (default: one hour before --end).")
    var start: String?

    @Option(name: .long, help: "Last time of a range (default: now).")
    var end: String?

    @Option(name: .long, help: "Step of a range query: a duration (15s, 1m) or seconds.")
    var step: String?

    @Option(name: .long, help: "table or json (the Prometheus HTTP API's answer).")
    var format: String = "table"

    func validate() throws {
        guard StoreQuery.Format(rawValue: self.format) != nil else { throw ValidationError("--format is table or json") }
    }

    func run() async throws {
        let format = StoreQuery.Format(rawValue: self.format) ?? .table
        let query = StoreQuery(
            database: self.db, expression: self.expression, time: self.time, start: self.start, end: self.end, step: self.step,
            format: format)
        do {
            print(try query.run())
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

/// `modelwatch import`: load OpenMetrics text into a store file.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load OpenMetrics text with timestamps into a store file.",
        discussion: """
            The input promtool tsdb create-blocks-from openmetrics reads: samples with timestamps in \
            seconds, ending with # EOF. The store file is created if needed; it must not be in use by \
            a running sidecar.
            """
    )

    @Option(name: .long, help: "The SQLite store file to load into.")
    var db: String

    @Argument(help: "The OpenMetrics file.")
    var file: String

    func run() async throws {
        do {
            print(try OpenMetricsImport(database: self.db, file: self.file).run())
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

/// `modelwatch api`: Prometheus's query API over a store file, read-only.
struct API: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Serve Prometheus's HTTP query API over a store file, without proxying or recording.",
        discussion: """
            Point Grafana's Prometheus data source (or any Prometheus client) at http://ADDR to query a \
            history file, e.g. one copied from a sidecar. The file may be in use by a running sidecar.
            """
    )

    @Option(name: .long, help: "The SQLite store file to serve.")
    var db: String

    @Option(name: .long, help: "Address to listen on (host:port).")
    var listen: String = "127.0.0.1:9090"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: self.logLevel) != nil else { throw ValidationError("unknown log level \"\(self.logLevel)\"") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: self.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        do {
            try await Sidecar.serveAPI(
                database: self.db, listen: self.listen, query: QueryConfiguration(), logger: Logger(label: "modelwatch"))
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

/// `modelwatch baseline`: make the reference a model's traffic is compared with.
struct BaselineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline", abstract: "Build a drift baseline from reference data or from recorded traffic.",
        subcommands: [BuildBaseline.self, CaptureBaseline.self])
}

/// How reference values are binned; shared by `build` and `capture`.
struct BinningOptions: ParsableArguments {
    @Option(name: .long, help: "Quantile bins per numeric feature (PSI, Jensen-Shannon, Hellinger).")
    var bins: Int = 10

    @Option(name: .long, help: "Values kept per categorical feature; the rest count as other.")
    var topK: Int = 20

    @Option(name: .long, help: "Raw reference values kept per numeric feature (Evidently-compatible mode).")
    var sampleSize: Int = 10_000

    @Option(name: .long, parsing: .upToNextOption, help: "Columns to treat as categorical even when numeric (class labels).")
    var categorical: [String] = []

    func validate() throws {
        guard (2...1000).contains(self.bins) else { throw ValidationError("--bins is 2 to 1000") }
        guard (1...10_000).contains(self.topK) else { throw ValidationError("--top-k is 1 to 10000") }
        guard (0...10_000_000).contains(self.sampleSize) else { throw ValidationError("--sample-size is 0 to 10000000") }
    }

    var builder: BaselineBuilder {
        BaselineBuilder(
            bins: self.bins, topK: self.topK, sampleSize: self.sampleSize,
            categorical: Set(self.categorical.flatMap { $0.split(separator: ",").map(String.init) }))
    }
}

struct BuildBaseline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Build a baseline from a CSV (with a header row) or JSON-lines file.")

    @Option(name: .long, help: "The model the baseline is for (the model label).")
    var model: String

    @Option(name: .long, help: "Reference data: .csv, or .jsonl/.ndjson/.json with one object per line.")
    var input: String

    @Option(name: .long, parsing: .upToNextOption, help: "Feature columns (default: every column not named an output).")
    var features: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: "Columns holding the model's outputs (labels, scores).")
    var outputs: [String] = []

    @OptionGroup var binning: BinningOptions

    @Option(name: .long, help: "Where to write the baseline JSON.")
    var out: String

    func run() async throws {
        func names(_ values: [String]) -> [String] { values.flatMap { $0.split(separator: ",").map(String.init) } }
        do {
            print(
                try BaselineFiles.build(
                    model: self.model, input: self.input, features: names(self.features), outputs: names(self.outputs),
                    builder: self.binning.builder, output: self.out))
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

struct CaptureBaseline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture", abstract: "Build a baseline from the value samples a sidecar recorded of live traffic.")

    @Option(name: .long, help: "The SQLite store file (storage.path of the sidecar).")
    var db: String

    @Option(name: .long, help: "The model whose traffic to capture.")
    var model: String

    @Option(name: .long, help: "Window start (default: one hour before --end).")
    var start: String?

    @Option(name: .long, help: "Window end (default: now).")
    var end: String?

    @OptionGroup var binning: BinningOptions

    @Option(name: .long, help: "Where to write the baseline JSON.")
    var out: String

    func run() async throws {
        do {
            print(
                try BaselineFiles.capture(
                    database: self.db, model: self.model, start: self.start, end: self.end, builder: self.binning.builder, output: self.out)
            )
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

/// `modelwatch drift`: the drift of a stored window, per feature and output.
struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift", abstract: "Print per-feature drift statistics of a window recorded in a store file.",
        discussion: """
            Thresholds, window and method are those the sidecar recorded the file with (it keeps them in the file); \
            --config's drift section replaces them, --window and --method override either.
            """)

    @Option(name: .long, help: "The SQLite store file (storage.path of the sidecar).")
    var db: String

    @Option(name: .long, help: "The model to judge.")
    var model: String

    @Option(name: .long, help: "Window length in whole minutes, e.g. 30m or 1h (default: drift.window, 1h).")
    var window: String?

    @Option(name: .long, help: "Window end: now, now-2h, Unix seconds or RFC 3339 (default: now).")
    var at: String?

    @Option(name: .long, help: "histogram or evidently (default: drift.method).")
    var method: String?

    @Option(name: .long, help: "A modelwatch.yaml whose drift section sets thresholds and defaults.")
    var config: String?

    func run() async throws {
        var settings = DriftSettings()
        var source = "defaults (the file holds none)"
        if let config = self.config {
            do {
                settings = try ConfigurationLoader.load(path: config, overrides: ConfigurationOverrides(upstream: "http://127.0.0.1:1"))
                    .drift.settings
                source = "from \(config)"
            } catch {
                throw CommandFailure("invalid configuration: \(error)")
            }
        } else {
            do {
                if let stored = try DriftQuery.storedSettings(database: self.db) {
                    settings = stored.settings
                    source = "as the sidecar judged"
                }
            } catch {
                throw CommandFailure(error.description)
            }
        }
        if let window = self.window {
            guard let minutes = DriftQuery.minutes(window) else { throw ValidationError("--window is whole minutes, e.g. 30m or 1h") }
            settings.windowMinutes = minutes
        }
        if let method = self.method {
            guard let method = DriftSettings.Method(rawValue: method) else { throw ValidationError("--method is histogram or evidently") }
            settings.method = method
        }
        do {
            print(try DriftQuery(database: self.db, model: self.model, settings: settings, at: self.at, settingsSource: source).run())
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

/// `modelwatch test`: unit tests of configuration that runs in the sidecar.
struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Run unit tests.", subcommands: [TestRules.self])
}

/// `modelwatch test rules`: rule unit-test files in promtool's format, with promtool's verdicts.
struct TestRules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Run rule unit-test files (the format of promtool test rules).",
        discussion: """
            Each file names rule_files (relative to the test file), input_series in promtool's notation \
            (0+10x100, _x3, stale) and alert_rule_test and promql_expr_test cases. Prints promtool's \
            report; exits 1 when any file fails.
            """
    )

    @Argument(help: "The test files.")
    var files: [String]

    func run() async throws {
        let results = self.files.map { RuleTestRunner.run(path: $0) }
        let report = RuleTestRunner.report(results)
        print(report.output, terminator: "")
        var errors = Array(report.errors.utf8)
        while !errors.isEmpty {
            let written = errors.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            guard written > 0 else { break }
            errors.removeFirst(written)
        }
        let failed = results.filter { !$0.passed }.count
        if failed > 0 { throw CommandFailure("\(failed) of \(results.count) rule test files failed") }
    }
}
