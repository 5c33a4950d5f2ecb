import Foundation

/// The `sqlite3` command-line shell, run on the same file the store writes: the independent
/// reading the store's answers are compared with.
enum SQLiteShell {
    static var path: String? {
        ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs one SQL text against `database` and returns the output lines.
    static func query(_ database: String, _ sql: String) throws -> [String] {
        guard let path = self.path else { throw ShellMissing() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-batch", "-noheader", "-separator", "|", database, sql]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw ShellFailed(output: text) }
        return text.split(separator: "\n").map(String.init)
    }

    /// A shell that keeps running with SQL fed on its standard input, to hold a lock while the
    /// store tries to open the file.
    static func start(_ database: String) throws -> (process: Process, input: FileHandle) {
        guard let path = self.path else { throw ShellMissing() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-batch", database]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, input.fileHandleForWriting)
    }

    struct ShellMissing: Error, CustomStringConvertible {
        var description: String { "the sqlite3 shell is not installed: run `bash .ci/setup.sh` first" }
    }

    struct ShellFailed: Error, CustomStringConvertible {
        let output: String
        var description: String { "sqlite3 failed: \(self.output)" }
    }
}

/// A fresh folder for one test's database, removed afterwards.
func withTemporaryDatabase<Result>(_ body: (String) throws -> Result) throws -> Result {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try body(folder.appendingPathComponent("modelwatch.db").path)
}
