// Times the built-in ONNX interpreter on a model and a batch of rows, the same files the
// onnxruntime side of bench/reference_bench.py times.
//
// Usage: modelwatch-reference-bench MODEL.onnx INPUT.pb BATCH ITERATIONS   (build with -c release)
// Prints one line: the median microseconds per run over ITERATIONS runs, the resident bytes a
// loaded model keeps, the same over the first twenty loads, and the heap bytes a loaded model
// keeps (-1 unless bench/malloc_count.c is preloaded).
import Foundation
import ModelWatchReference

let arguments = CommandLine.arguments
guard arguments.count == 5, let batch = Int(arguments[3]), let iterations = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: modelwatch-reference-bench MODEL.onnx INPUT.pb BATCH ITERATIONS\n".utf8))
    exit(2)
}
/// Resident memory in bytes, from /proc/self/statm.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

/// Bytes the heap holds, from bench/malloc_count.c when it is preloaded.
func heapBytes() -> Int? {
    dlsym(dlopen(nil, RTLD_NOW), "modelwatch_heap_bytes").map { unsafeBitCast($0, to: (@convention(c) () -> Int).self)() }
}

/// What each of twenty more loads of the model, all kept, adds to resident memory and to the heap.
func loadTwenty(_ path: String) throws -> (kept: [ReferenceModel], resident: Int, heap: Int) {
    let resident = residentBytes()
    let heap = heapBytes()
    let kept = try (0..<20).map { _ in try ReferenceModel(contentsOf: path) }
    let held = heapBytes().map { ($0 - (heap ?? 0)) / kept.count } ?? -1
    return (kept, (residentBytes() - resident) / kept.count, held)
}

// A first load warms the runtime (operator table, type metadata). The first twenty loads after it
// also grow the process's heap once (measured: 36-49 KB per model for the 15 KB MLP, then 22 KB
// for every later twenty, its heap bytes being 21.5 KB), so what a model keeps is read from the
// next twenty; both are printed.
let model = try ReferenceModel(contentsOf: arguments[1])
let first = try loadTwenty(arguments[1])
let steady = try loadTwenty(arguments[1])
let all = try Tensor(protobuf: [UInt8](try Data(contentsOf: URL(fileURLWithPath: arguments[2]))))
guard case .float(let values) = all.storage, all.shape.count == 2, all.shape[0] >= batch else {
    FileHandle.standardError.write(Data("the input must be a float [N, F] tensor with N ≥ batch\n".utf8))
    exit(2)
}
let features = all.shape[1]
let input = try Tensor(shape: [batch, features], floats: Array(values.prefix(batch * features)))
let name = model.inputs[0].name
var session = model.makeSession()
for _ in 0..<min(iterations, 200) { _ = try session.run(tensors: [name: input]) }
let clock = ContinuousClock()
var samples: [Double] = []
samples.reserveCapacity(iterations)
for _ in 0..<iterations {
    let start = clock.now
    _ = try session.run(tensors: [name: input])
    let elapsed = clock.now - start
    samples.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
}
samples.sort()
print(String(format: "%.2f %d %d %d", samples[samples.count / 2], steady.resident, first.resident, steady.heap))
withExtendedLifetime((first.kept, steady.kept)) {}
