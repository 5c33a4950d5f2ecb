import Logging
import ModelWatchMetrics
import ModelWatchStore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Snapshots every metric series into the SQLite store once per scrape interval and keeps the
/// store within its retention.
///
/// All SQLite work runs on one thread of its own, never on an event loop or Swift's cooperative
/// pool. A snapshot that cannot be written (disk full, file read-only) is counted, logged once,
/// and dropped; recording resumes by itself on the next interval that succeeds, and the proxy
/// never notices.
final class StoreRecorder: Service {
    private let store: TimeSeriesStore
    private let writerThread: NIOThreadPool
    private let catalogue: MetricCatalogue
    private let metrics: StoreMetrics
    private let interval: Duration
    private let logger: Logger

    /// Opens the store on its writer thread.
    /// - Throws: `StoreError` when the file cannot be opened for recording (locked by another
    ///   process, a newer schema, an unwritable folder): the sidecar does not start then.
    static func open(configuration: StorageConfiguration, catalogue: MetricCatalogue, logger: Logger) async throws -> StoreRecorder {
        let writerThread = NIOThreadPool(numberOfThreads: 1)
        writerThread.start()
        do {
            let store = try await writerThread.runIfActive {
                try TimeSeriesStore(path: configuration.path, configuration: configuration.store)
            }
            return StoreRecorder(
                store: store, writerThread: writerThread, catalogue: catalogue, interval: configuration.scrapeInterval, logger: logger)
        } catch {
            try? await writerThread.shutdownGracefully()
            throw error
        }
    }

    private init(
        store: TimeSeriesStore, writerThread: NIOThreadPool, catalogue: MetricCatalogue, interval: Duration, logger: Logger
    ) {
        self.store = store
        self.writerThread = writerThread
        self.catalogue = catalogue
        self.metrics = catalogue.storeMetrics()
        self.interval = interval
        self.logger = logger
    }

    /// Runs `body` on the writer thread, where every SQLite call of the sidecar runs.
    func withStore<Result: Sendable>(_ body: @escaping @Sendable (TimeSeriesStore) throws -> Result) async throws -> Result {
        let store = self.store
        return try await self.writerThread.runIfActive { try body(store) }
    }

    /// Writes sealed drift minutes; a failure (a full disk) is counted and the minutes dropped,
    /// as a snapshot would be.
    func recordDrift(_ records: [DriftMinuteRecord]) async {
        guard !records.isEmpty else { return }
        do {
            try await self.withStore { store in try store.appendDriftMinutes(records) }
        } catch {
            self.metrics.recordDriftError()
            self.logger.warning(
                "drift minutes not recorded",
                metadata: ["storage.path": "\(self.store.path)", "drift.minutes": "\(records.count)", "error": "\(error)"])
        }
    }

    /// Stops the writer thread of a recorder whose `run()` will never be called, because the
    /// sidecar's start failed after the store was opened.
    func abandon() async {
        try? await self.writerThread.shutdownGracefully()
    }

    /// Records until graceful shutdown, then records one last snapshot so a clean stop loses nothing.
    func run() async throws {
        // SIGXFSZ would kill the process when a file-size limit is reached; ignored, the write
        // fails with EFBIG instead and is handled as a full disk.
        signal(SIGXFSZ, SIG_IGN)
        self.logger.info(
            "recording metrics", metadata: ["storage.path": "\(self.store.path)", "storage.scrape_interval": "\(self.interval)"])
        var failing = 0
        let clock = ContinuousClock()
        var deadline = clock.now + self.interval
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let wakeUp = deadline
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(until: wakeUp, clock: clock) }
            } catch {
                break
            }
            // A late wake-up skips ahead rather than catching up with a burst of snapshots.
            deadline = max(deadline + self.interval, clock.now)
            failing = await self.record(failing: failing)
        }
        _ = await self.record(failing: failing)
        try await self.writerThread.shutdownGracefully()
    }

    /// Hands the memory malloc holds free back to the kernel. glibc keeps what each thread's arena
    /// freed for reuse, and a long run's resident set then drifts upward with it; a snapshot is a
    /// natural moment to trim, off the proxy's path. `malloc_trim` is glibc's alone, so it is
    /// looked up at run time (musl returns freed pages by itself).
    private static func returnFreedMemory() {
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        let trim = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        _ = trim(0)
    }

    /// Writes one snapshot and a bounded share of maintenance on the writer thread.
    /// - Returns: how many snapshots in a row have now failed.
    private func record(failing: Int) async -> Int {
        let store = self.store
        let catalogue = self.catalogue
        let budget = self.interval / 2
        let metrics = self.metrics
        do {
            let (rows, seconds) = try await self.writerThread.runIfActive { () throws -> (Int, Double) in
                let clock = ContinuousClock()
                let start = clock.now
                let snapshot = catalogue.samples().map { sample in
                    (
                        key: SeriesKey(name: sample.name, labels: sample.labels.map { SeriesKey.Label($0.name, $0.value) }),
                        value: sample.value
                    )
                }
                let rows = try store.append(snapshot, at: WallClock.milliseconds())
                let seconds = (clock.now - start).seconds
                // Compaction and retention share what is left of half an interval, a step at a time;
                // then the log goes into the file, so it restarts small (a small volume fills
                // otherwise). A failure of either (the same full disk, usually) is counted apart:
                // the snapshot is in.
                do {
                    while clock.now - start < budget, try store.maintain(now: WallClock.milliseconds()).moreWork {}
                    try store.checkpoint()
                } catch {
                    metrics.recordMaintenanceError()
                }
                Self.returnFreedMemory()
                return (rows, seconds)
            }
            self.metrics.recordWrite(seconds: seconds, rows: rows)
            if failing > 0 {
                self.logger.notice(
                    "recording resumed", metadata: ["storage.path": "\(store.path)", "storage.lost_snapshots": "\(failing)"])
            }
            self.metrics.setDatabaseSize(store.sizeInBytes)
            return 0
        } catch is CancellationError {
            // The start failed (a port in use) and the group was cancelled: nothing was recorded
            // and nothing is paused, so there is nothing to say.
            return failing
        } catch {
            self.metrics.recordAppendError()
            if failing == 0 {
                // One line when recording stops, one when it resumes: a full disk must not flood the log.
                self.logger.error(
                    "recording paused: the snapshot could not be written; the proxy goes on",
                    metadata: ["storage.path": "\(store.path)", "error": "\(error)"])
            }
            self.metrics.setDatabaseSize(store.sizeInBytes)
            return failing + 1
        }
    }
}
