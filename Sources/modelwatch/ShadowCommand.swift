import ArgumentParser
import ModelWatch

/// `modelwatch shadow`: how a model's answers compared with its shadow over a window.
struct ShadowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shadow", abstract: "Print a model's shadow match rate, error percentiles and latest mismatches from a store file.")

    @Option(name: .long, help: "The SQLite store file (storage.path of the sidecar).")
    var db: String

    @Option(name: .long, help: "The shadowed model.")
    var model: String

    @Option(name: .long, help: "Window start: now-1h, Unix seconds or RFC 3339 (default: an hour before --end).")
    var start: String?

    @Option(name: .long, help: "Window end: now, now-2h, Unix seconds or RFC 3339 (default: now).")
    var end: String?

    @Option(name: .long, help: "How many of the latest mismatches to print.")
    var mismatches: Int = 5

    func run() async throws {
        do {
            print(
                try ShadowQuery(database: self.db, model: self.model, start: self.start, end: self.end, mismatches: self.mismatches).run())
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
