import Glibc

/// The conventional `process_*` metrics, read from `/proc` when a scrape asks for them.
struct ProcessMetrics {
    /// One reading of the process's resources.
    struct Reading {
        var cpuSeconds: Double
        var residentBytes: Double
        var virtualBytes: Double
        var startTimeSeconds: Double
        var openFileDescriptors: Double
        var maxFileDescriptors: Double
    }

    /// - Returns: `nil` where `/proc` cannot be read (not Linux, or a restricted sandbox).
    static func read() -> Reading? {
        guard let stat = Self.contents(of: "/proc/self/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the parenthesised command name; the first of them is field 3 (state).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Double { Double(fields[number - 3]) ?? 0 }
        guard fields.count >= 22 else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        let bootTime =
            Self.contents(of: "/proc/stat")?
            .split(separator: "\n").first { $0.hasPrefix("btime ") }
            .flatMap { Double($0.dropFirst(6)) } ?? 0
        var limit = rlimit()
        let maxDescriptors = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Double(limit.rlim_cur) : 0
        return Reading(
            cpuSeconds: (field(14) + field(15)) / ticks,
            residentBytes: field(24) * pageSize,
            virtualBytes: field(23),
            startTimeSeconds: bootTime + field(22) / ticks,
            openFileDescriptors: Double(Self.countEntries(in: "/proc/self/fd")),
            maxFileDescriptors: maxDescriptors
        )
    }

    private static func contents(of path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func countEntries(in path: String) -> Int {
        guard let directory = opendir(path) else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { $0.prefix { $0 != 0 } }
            if !name.elementsEqual(".".utf8) && !name.elementsEqual("..".utf8) { count += 1 }
        }
        return count - 1  // the descriptor opendir itself holds
    }
}
