import Glibc

/// Reads a whole local file with errors a person can act on ("no such file", "permission
/// denied", "is a directory") instead of Foundation's `NSCocoaErrorDomain` dumps, so every
/// command and configuration key that names a file can say in one line what is wrong with it.
public enum LocalFile {
    /// Why a file could not be read or written: the path and the system's reason.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let path: String
        /// The reason in words, e.g. "no such file or directory".
        public let reason: String

        public var description: String { "\(self.path): \(self.reason)" }
    }

    /// The file's bytes.
    /// - Throws: `Failure` naming the path and the reason.
    public static func read(_ path: String) throws(Failure) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.failure(path, errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Self.failure(path, errno) }
        guard (status.st_mode & S_IFMT) != S_IFDIR else { throw Failure(path: path, reason: "is a directory, not a file") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(max(status.st_size, 0)))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.failure(path, errno)
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// The file's text, decoded as UTF-8 (invalid sequences become U+FFFD).
    public static func text(_ path: String) throws(Failure) -> String {
        String(decoding: try Self.read(path), as: UTF8.self)
    }

    /// Writes a whole file, replacing it: a temporary file beside it renamed over it, so a reader
    /// never sees half a file.
    /// - Throws: `Failure` naming the path and the reason.
    public static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.failure(path, errno) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(descriptor)
                unlink(temporary)
                throw Self.failure(path, code)
            }
            written += count
        }
        guard close(descriptor) == 0, rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw Self.failure(path, code)
        }
    }

    /// The reason an `errno` value gives, in lower case as it reads inside a sentence.
    public static func reason(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "error \(code)" }
        let text = String(cString: message)
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    private static func failure(_ path: String, _ code: Int32) -> Failure {
        Failure(path: path, reason: Self.reason(code))
    }
}
