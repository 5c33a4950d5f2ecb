// The libFuzzer driver for ModelWatch's parsers (issue 18). bench/fuzz.sh builds it with
// `-sanitize=fuzzer` and runs one target at a time, named by MODELWATCH_FUZZ_TARGET.

/// libFuzzer's entry for programs that keep their own `main`, as SwiftPM executables do.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_silgen_name("getenv")
func environmentValue(_ name: UnsafePointer<CChar>) -> UnsafeMutablePointer<CChar>?

@_silgen_name("exit")
func exitProcess(_ status: Int32) -> Never

/// The target chosen for this run; set once before libFuzzer starts calling back.
nonisolated(unsafe) var selectedTarget = FuzzTarget.json

@main
struct FuzzEntry {
    static func main() {
        let name = environmentValue("MODELWATCH_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: " ")
            print("set MODELWATCH_FUZZ_TARGET to one of: \(names)")
            exitProcess(2)
        }
        selectedTarget = target
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exitProcess(
            runFuzzerDriver(&argc, &argv) { data, size in
                let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
                selectedTarget.run(bytes)
                return 0
            })
    }
}
