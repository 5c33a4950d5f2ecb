#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An exclusive `flock` on the database file, held for as long as a store writes to it, so two
/// ModelWatch processes never interleave their samples in one file.
///
/// `flock` locks are separate from the POSIX record locks SQLite takes on the same file, so they
/// do not disturb SQLite or readers such as the `sqlite3` shell. The descriptor is closed only
/// after SQLite's connection is: closing any descriptor of a file drops the process's POSIX locks
/// on it.
final class WriterLock: Sendable {
    private let descriptor: Int32

    /// Tries for up to `patience` before giving up: a sidecar restarted while its predecessor
    /// is still exiting gets the file, and so does a process whose lock descriptor was briefly
    /// shared with a child between `fork` and `exec`.
    /// - Throws: `locked` when another process holds the lock, `cannotOpen` when the file cannot be created.
    init(path: String, patience: Duration = .seconds(2)) throws(StoreError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw StoreError(errno == EROFS || errno == EACCES ? .readOnly : .cannotOpen, "cannot open \(path): \(reason)")
        }
        let deadline = ContinuousClock.now + patience
        var locked = flock(descriptor, LOCK_EX | LOCK_NB) == 0
        while !locked, errno == EWOULDBLOCK, ContinuousClock.now < deadline {
            usleep(50_000)
            locked = flock(descriptor, LOCK_EX | LOCK_NB) == 0
        }
        guard locked else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw StoreError(
                busy ? .locked : .cannotOpen,
                busy
                    ? "\(path) is in use by another ModelWatch process; give each sidecar its own storage.path"
                    : "cannot lock \(path): \(reason)")
        }
        self.descriptor = descriptor
    }

    deinit {
        close(self.descriptor)
    }
}

/// Bytes a file takes on disk, or 0 when it does not exist.
func fileSize(_ path: String) -> Int64 {
    var status = stat()
    guard stat(path, &status) == 0 else { return 0 }
    return Int64(status.st_size)
}
