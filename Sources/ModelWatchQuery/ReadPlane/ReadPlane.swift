import Dispatch
public import ModelWatchStore
import Synchronization

/// Everything that reads history — the HTTP query API, rule evaluation, the status page — reads
/// through this: a small pool of read-only SQLite connections, each on a dispatch queue of its
/// own, never on an event loop, Swift's cooperative pool or the store's writer thread. A heavy
/// query therefore delays neither proxying nor recording (SQLite's WAL lets readers run beside
/// the writer), and at most `readers` queries read at once; a bounded number wait in line, and
/// further ones are refused at once with `ReadPlaneError.overloaded` (the API's 503).
public final class ReadPlane: Sendable {
    private let path: String
    private let readers: [Reader]
    private let slots: Mutex<ReaderSlots<@Sendable (Int) -> Void>>

    /// - Parameters:
    ///   - path: the store file; it is opened read-only on first use, so it may not exist yet.
    ///   - readers: connections, and so queries running at once.
    ///   - maxWaiting: queries that may wait for a connection before further ones are refused.
    public init(path: String, readers: Int = 2, maxWaiting: Int = 16) {
        self.path = path
        self.readers = (0..<max(1, readers)).map { Reader(label: "mw-read-\($0)") }
        self.slots = Mutex(ReaderSlots(readers: max(1, readers), maxWaiting: max(0, maxWaiting)))
    }

    /// Runs `body` with a read-only store on a reader's own thread.
    /// - Throws: `ReadPlaneError.overloaded` when every reader is busy and the line is full;
    ///   `.unavailable` when the file cannot be opened; whatever `body` throws.
    public func read<Result: Sendable>(_ body: @escaping @Sendable (TimeSeriesStore) throws -> Result) async throws -> Result {
        let reader = try await self.acquire()
        defer {
            if let waiter = self.slots.withLock({ $0.release(reader) }) { waiter(reader) }
        }
        let path = self.path
        return try await self.readers[reader].run { store in
            let opened = try store.open(path)
            return try body(opened)
        }
    }

    /// Queries waiting for a connection now.
    public var waiting: Int { self.slots.withLock { $0.waitingCount } }

    private func acquire() async throws(ReadPlaneError) -> Int {
        enum Outcome {
            case reader(Int)
            case refused
        }
        let outcome: Outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            // A waiter resumes with the reader a finishing query hands it.
            let admission = self.slots.withLock { slots in
                slots.admit { reader in continuation.resume(returning: .reader(reader)) }
            }
            switch admission {
            case .run(let reader): continuation.resume(returning: .reader(reader))
            case .wait: break
            case .refuse: continuation.resume(returning: .refused)
            }
        }
        switch outcome {
        case .reader(let reader): return reader
        case .refused: throw ReadPlaneError.overloaded
        }
    }
}

/// Why the read plane could not run a query.
public enum ReadPlaneError: Error, Sendable, CustomStringConvertible {
    /// Every reader is busy and the line of waiting queries is full.
    case overloaded
    /// The store file could not be opened for reading.
    case unavailable(String)

    public var description: String {
        switch self {
        case .overloaded: "too many queries at once; try again shortly"
        case .unavailable(let reason): "the store cannot be read: \(reason)"
        }
    }
}

/// One reader connection and the serial queue that alone touches it.
private final class Reader: Sendable {
    private let queue: DispatchQueue
    private let connection = ReaderConnection()

    init(label: String) {
        self.queue = DispatchQueue(label: label)
    }

    func run<Result: Sendable>(_ body: @escaping @Sendable (ReaderConnection) throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            self.queue.async { continuation.resume(with: Swift.Result { try body(self.connection) }) }
        }
    }
}

/// The store a reader reads, opened on first use and kept.
///
/// `@unchecked Sendable`: only its reader's serial queue ever touches `store`.
private final class ReaderConnection: @unchecked Sendable {
    private var store: TimeSeriesStore?

    func open(_ path: String) throws -> TimeSeriesStore {
        if let store = self.store { return store }
        do {
            let store = try TimeSeriesStore(readingFrom: path)
            self.store = store
            return store
        } catch {
            throw ReadPlaneError.unavailable(error.message)
        }
    }
}
