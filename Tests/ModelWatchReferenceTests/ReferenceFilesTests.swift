import Foundation
import ModelWatch
import Testing

/// `modelwatch reference inspect` and `run`'s library side, on a model file and row files on disk.
@Suite struct ReferenceFilesTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-reference-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func inspectsAndRunsRowsFromJSONLinesAndCSV() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("dense.onnx")
        try Data(ModelReaderTests.dense().bytes).write(to: model)
        let description = try ReferenceFiles.inspect(path: model.path)
        #expect(description.contains("X: tensor(float)[N, 3]"))
        #expect(description.contains("MatMul × 1"))
        #expect(description.contains("ai.onnx 17"))

        let jsonl = folder.appendingPathComponent("rows.jsonl")
        try Data("{\"X\": [1, 2, 3]}\n{\"X\": [-1, -2, -3]}\n".utf8).write(to: jsonl)
        var lines: [String] = []
        try ReferenceFiles.run(path: model.path, input: jsonl.path) { lines.append($0) }
        #expect(lines == ["{\"Y\":[4.5,0.0]}", "{\"Y\":[0.0,0.0]}"])

        let csv = folder.appendingPathComponent("rows.csv")
        try Data("a,b,c\n1,2,3\n,0,0\n".utf8).write(to: csv)
        lines = []
        try ReferenceFiles.run(path: model.path, input: csv.path) { lines.append($0) }
        // A missing cell is NaN, and NaN propagates to null in the output.
        #expect(lines == ["{\"Y\":[4.5,0.0]}", "{\"Y\":[null,null]}"])
    }

    @Test func namesTheRowThatCannotBeRun() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("dense.onnx")
        try Data(ModelReaderTests.dense().bytes).write(to: model)
        let jsonl = folder.appendingPathComponent("rows.jsonl")
        try Data("{\"X\": [1, 2, 3]}\n{\"X\": [1, 2]}\n".utf8).write(to: jsonl)
        var lines: [String] = []
        let error = try #require(throws: ReferenceFiles.RowError.self) {
            try ReferenceFiles.run(path: model.path, input: jsonl.path) { lines.append($0) }
        }
        #expect(error.description.contains("row 2"))
        #expect(lines.count == 1)
        #expect(throws: (any Error).self) { try ReferenceFiles.inspect(path: jsonl.path) }
    }
}
