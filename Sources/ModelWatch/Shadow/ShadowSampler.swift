import ModelWatchDrift

/// Decides which answered exchanges get a shadow comparison: a share of them, at most so many a
/// second. A plain value: the shadow service keeps one per model behind its lock.
struct ShadowSampler: Sendable {
    /// Why an exchange that was sampled is not compared after all.
    enum Decision: Equatable {
        case compare
        /// Not in the sampled share: not counted anywhere, like an unshadowed model.
        case notSampled
        /// Sampled, but over `max_per_second`.
        case rateLimited
    }

    let fraction: Double
    let deterministic: Bool
    private var bucket: TokenBucket?
    private var random: SplitMix64

    init(fraction: Double, deterministic: Bool, maxPerSecond: Double?, seed: UInt64) {
        self.fraction = fraction
        self.deterministic = deterministic
        self.bucket = maxPerSecond.map { TokenBucket(rate: $0, burst: max(1, $0)) }
        self.random = SplitMix64(seed: seed)
    }

    /// - Parameters:
    ///   - body: the request body, hashed when sampling is deterministic.
    ///   - now: seconds on a monotonic clock, for the rate limit.
    mutating func decide(body: [UInt8], now: Double) -> Decision {
        guard self.isSampled(body) else { return .notSampled }
        if var bucket = self.bucket {
            defer { self.bucket = bucket }
            guard bucket.take(now: now) else { return .rateLimited }
        }
        return .compare
    }

    private mutating func isSampled(_ body: [UInt8]) -> Bool {
        if self.fraction >= 1 { return true }
        if self.fraction <= 0 { return false }
        let draw = self.deterministic ? Self.fnv1a(body) : self.random.next()
        // The top 53 bits as a uniform number in [0, 1).
        return Double(draw >> 11) / Double(UInt64(1) << 53) < self.fraction
    }

    /// FNV-1a, 64 bits, finished with a SplitMix64 round so that bodies differing in their last
    /// bytes spread over the whole range: the same request always gets the same decision.
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        var mixer = SplitMix64(seed: hash)
        return mixer.next()
    }
}

/// A token bucket: `rate` tokens a second, at most `burst` saved up.
struct TokenBucket: Sendable, Equatable {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: Double?

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
        self.tokens = burst
    }

    /// - Returns: whether a token was available at `now` (seconds); it is spent then.
    mutating func take(now: Double) -> Bool {
        if let last = self.last, now > last {
            self.tokens = min(self.burst, self.tokens + (now - last) * self.rate)
        }
        self.last = max(self.last ?? now, now)
        guard self.tokens >= 1 else { return false }
        self.tokens -= 1
        return true
    }
}
