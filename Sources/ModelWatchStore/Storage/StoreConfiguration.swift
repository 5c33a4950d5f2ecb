/// How long the store keeps samples and how it packs them.
public struct StoreConfiguration: Sendable {
    /// A coarser copy of every series, kept longer than the raw samples.
    public struct Downsampling: Sendable {
        /// One sample per this step: the last one in it, which keeps counters and histogram
        /// buckets exact for `rate` over any window of at least the step.
        public var resolution: Duration
        /// How long the coarse samples stay; longer than the raw retention to be of use.
        public var retention: Duration

        public init(resolution: Duration, retention: Duration) {
            self.resolution = resolution
            self.retention = retention
        }
    }

    /// Raw samples older than this are deleted.
    public var retention: Duration
    /// `nil` keeps no coarser copy.
    public var downsampling: Downsampling?
    /// Samples are rows until their span of this length is over, then packed into one chunk per
    /// series: range queries read a chunk per series and span instead of a row per sample.
    public var chunkSpan: Duration
    /// How long opening or writing waits for another process's lock before giving up.
    public var busyTimeout: Duration

    public init(
        retention: Duration = .seconds(7 * 86_400),
        downsampling: Downsampling? = nil,
        chunkSpan: Duration = .seconds(3_600),
        busyTimeout: Duration = .seconds(2)
    ) {
        self.retention = retention
        self.downsampling = downsampling
        self.chunkSpan = chunkSpan
        self.busyTimeout = busyTimeout
    }
}

extension Duration {
    /// Whole milliseconds, the store's unit of time.
    var milliseconds: Int64 {
        self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000
    }
}
