import ArgumentParser
import ModelWatch

/// `modelwatch reference`: check a reference ONNX model before deploying it.
struct ReferenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference", abstract: "Inspect or run a reference ONNX model with the built-in interpreter.",
        subcommands: [InspectReference.self, RunReference.self])
}

struct InspectReference: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print a model's inputs, outputs, operators and opsets, or why it cannot be loaded.")

    @Argument(help: "The .onnx file.")
    var model: String

    func run() async throws {
        do {
            print(try ReferenceFiles.inspect(path: self.model))
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

struct RunReference: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a model on rows and print one JSON object of outputs per row.",
        discussion: "Rows: JSON lines mapping each input name to that row's values (null = missing, read as NaN), or CSV with a header.")

    @Argument(help: "The .onnx file.")
    var model: String

    @Option(name: .long, help: "Rows: .jsonl (one JSON object per line) or .csv (a header row).")
    var input: String

    func run() async throws {
        do {
            try ReferenceFiles.run(path: self.model, input: self.input) { print($0) }
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}
