import ArgumentParser
import Logging
import ModelWatch

/// `modelwatch`: a monitoring sidecar for model servers.
@main
struct ModelWatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modelwatch",
        abstract: "A monitoring sidecar for model servers.",
        version: Sidecar.version,
        subcommands: [Serve.self, Check.self, Query.self]
    )
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
            throw ValidationError("invalid configuration: \(error)")
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
        try await Sidecar.run(configuration: configuration, logger: Logger(label: "modelwatch"))
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

/// `modelwatch query`: print recorded samples from a store file.
struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the samples a store file holds for a series selector.",
        discussion: """
            Times: now, now-15m (before now), Unix seconds or RFC 3339. The file may be in use by a \
            running sidecar; the query reads its last committed snapshot.
            """
    )

    @Option(name: .long, help: "The SQLite store file (storage.path of the sidecar).")
    var db: String

    @Argument(help: #"Series selector, e.g. 'modelwatch_requests_total{model="iris",code=~"5.."}'."#)
    var selector: String

    @Option(name: .long, help: "First time to include (default: one hour before --end).")
    var start: String?

    @Option(name: .long, help: "Last time to include (default: now).")
    var end: String?

    @Option(name: .long, help: "table or json (the Prometheus range-query answer).")
    var format: String = "table"

    func validate() throws {
        guard StoreQuery.Format(rawValue: self.format) != nil else { throw ValidationError("--format is table or json") }
    }

    func run() async throws {
        let format = StoreQuery.Format(rawValue: self.format) ?? .table
        do {
            print(try StoreQuery(database: self.db, selector: self.selector, start: self.start, end: self.end, format: format).run())
        } catch {
            throw ValidationError(error.description)
        }
    }
}
