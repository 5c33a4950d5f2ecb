import Glibc
import ModelWatchDrift
import ModelWatchProxy
import ModelWatchStore

/// Where a value of the configuration came from: a line of the file, or a command-line flag.
struct ConfigurationOrigin: Sendable {
    let source: String
    let line: Int?
}

/// Checks that values which are each well formed also work together and with the machine, so
/// that what `modelwatch check` accepts, `modelwatch serve` starts: two ports that cannot both be
/// bound, a store in a directory that does not exist or is not writable, a file that is not a
/// store, a CA file that cannot be read.
enum ConfigurationChecks {
    static func check(_ configuration: ModelWatchConfiguration, origins: [String: ConfigurationOrigin]) throws(ConfigurationError) {
        func fail(_ key: String, _ message: String) -> ConfigurationError {
            // A flag names itself; a default names the key it is the default of.
            guard let origin = origins[key] else { return ConfigurationError(source: "default", line: nil, key: key, message: message) }
            return ConfigurationError(source: origin.source, line: origin.line, key: origin.line == nil ? nil : key, message: message)
        }
        if Self.overlap(configuration.server.listen, configuration.admin.listen) {
            let key = origins["admin.listen"] != nil ? "admin.listen" : "server.listen"
            throw fail(
                key,
                "the data port \(configuration.server.listen) and the admin port \(configuration.admin.listen) cannot be the same port")
        }
        if configuration.storage.enabled, let problem = Self.storeProblem(configuration.storage.path) {
            throw fail("storage.path", problem)
        }
        if !configuration.rules.groups.isEmpty, !configuration.storage.enabled {
            throw fail("rules.files", "rules are evaluated on the store's history: turn storage.enabled on")
        }
        if !configuration.shadow.models.isEmpty, !configuration.analysis.enabled {
            throw fail("shadow.models", "shadow comparison runs on the analysis pipeline: turn analysis.enabled on")
        }
        if let caFile = configuration.upstream.caFile, let problem = Self.certificateProblem(caFile) {
            throw fail("upstream.ca_file", problem)
        }
    }

    /// Two listeners collide on the same port when their hosts are the same or either is a
    /// wildcard; port 0 asks the kernel for a free one and never collides.
    static func overlap(_ first: ListenAddress, _ second: ListenAddress) -> Bool {
        guard first.port == second.port, first.port != 0 else { return false }
        func normalised(_ host: String) -> String {
            switch host {
            case "", "*", "0.0.0.0", "::", "[::]": return "*"
            case "localhost": return "127.0.0.1"
            default: return host
            }
        }
        let (a, b) = (normalised(first.host), normalised(second.host))
        return a == "*" || b == "*" || a == b
    }

    /// Why the sidecar could not record into `path`, or `nil` when it can.
    static func storeProblem(_ path: String) -> String? {
        let directory = Self.directory(of: path)
        var status = stat()
        guard stat(directory, &status) == 0 else {
            return "the directory \(directory) of \(path) does not exist (\(LocalFile.reason(errno)))"
        }
        guard (status.st_mode & S_IFMT) == S_IFDIR else { return "\(directory) is not a directory" }
        guard access(directory, W_OK | X_OK) == 0 else {
            return "cannot create files in \(directory) (\(LocalFile.reason(errno))); the store needs its WAL beside it"
        }
        guard stat(path, &status) == 0 else { return nil }  // a new store is created at start
        guard (status.st_mode & S_IFMT) == S_IFREG else { return "\(path) is not a regular file" }
        guard access(path, R_OK | W_OK) == 0 else { return "\(path) is not writable (\(LocalFile.reason(errno)))" }
        guard status.st_size > 0 else { return nil }
        do {
            _ = try TimeSeriesStore(readingFrom: path)
        } catch {
            return error.message.contains(path) ? error.message : "\(path) is not a ModelWatch store (\(error.message))"
        }
        return nil
    }

    /// Why `path` cannot serve as the CA bundle for an HTTPS upstream, or `nil`.
    static func certificateProblem(_ path: String) -> String? {
        let text: String
        do {
            text = try LocalFile.text(path)
        } catch {
            return error.description
        }
        guard text.contains("-----BEGIN CERTIFICATE-----") else {
            return "\(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        }
        return nil
    }

    /// The directory part of a path: `.` for a bare file name.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = path[..<slash]
        return directory.isEmpty ? "/" : String(directory)
    }

    /// `path` as written in a file whose own path is `source`: relative paths are relative to the
    /// file's directory, as people expect of a configuration file, not to the working directory.
    static func resolve(_ path: String, against source: String) -> String {
        guard !path.isEmpty, !path.hasPrefix("/"), source.contains("/") else { return path }
        let directory = Self.directory(of: source)
        return directory == "/" ? "/" + path : directory + "/" + path
    }
}
