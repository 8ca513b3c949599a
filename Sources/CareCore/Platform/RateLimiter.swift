import Foundation

/// A token bucket per key (an IP address, a widget id, an API key...).
///
/// Each key may do `burst` requests at once and then `perSecond` requests per second on average: its bucket holds at
/// most `burst` tokens, refills continuously at `perSecond` tokens a second, and each request takes one token.
///
/// Memory is bounded: when more than `maximumKeys` keys would be tracked, buckets that have refilled completely are
/// forgotten first (forgetting them changes nothing: a new bucket starts full), then the least recently used ones.
/// Thread-safe; time is passed in so callers use the injected clock and tests can move it.
public final class RateLimiter: @unchecked Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    private let burst: Double
    private let perSecond: Double
    private let maximumKeys: Int
    /// After an eviction sweep at most this many keys remain, so sweeps (O(n log n)) happen at most once every
    /// `maximumKeys - lowWater` new keys.
    private let lowWater: Int
    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]

    /// - Parameters:
    ///   - burst: the most requests a key may make at once (at least 1).
    ///   - perSecond: the sustained rate, tokens added per second (greater than 0).
    ///   - maximumKeys: the most keys tracked at any time (at least 1).
    public init(burst: Int, perSecond: Double, maximumKeys: Int = 100_000) {
        precondition(burst >= 1, "RateLimiter burst must be at least 1")
        precondition(perSecond > 0 && perSecond.isFinite, "RateLimiter perSecond must be a positive number")
        precondition(maximumKeys >= 1, "RateLimiter maximumKeys must be at least 1")
        self.burst = Double(burst)
        self.perSecond = perSecond
        self.maximumKeys = maximumKeys
        self.lowWater = max(maximumKeys - max(maximumKeys / 10, 1), 0)
    }

    /// Takes one token for `key` at `now`. `nil` = allowed; otherwise the seconds to wait until a token is available
    /// (and nothing was taken).
    public func take(_ key: String, now: Date) -> TimeInterval? {
        lock.withLock {
            var bucket: Bucket
            if let existing = buckets[key] {
                bucket = existing
                // A clock that went backwards refills nothing (and does not move the bucket's time back).
                let elapsed = max(now.timeIntervalSince(existing.updated), 0)
                bucket.tokens = min(burst, existing.tokens + elapsed * perSecond)
                bucket.updated = max(existing.updated, now)
            } else {
                if buckets.count >= maximumKeys { evict(now: now) }
                bucket = Bucket(tokens: burst, updated: now)
            }

            let wait: TimeInterval?
            // A microsecond of tolerance: a Date near today only resolves ~0.1 µs, so a refill that should give
            // exactly one token can come out a hair short.
            if bucket.tokens >= 1 || (1 - bucket.tokens) / perSecond < 1e-6 {
                bucket.tokens = max(bucket.tokens - 1, 0)
                wait = nil
            } else {
                wait = (1 - bucket.tokens) / perSecond
            }
            buckets[key] = bucket
            return wait
        }
    }

    /// The number of keys tracked now (for tests and metrics).
    var trackedKeys: Int { lock.withLock { buckets.count } }

    /// Called with the lock held when a new key does not fit: forget full buckets, then the least recently used, down
    /// to `lowWater` keys.
    private func evict(now: Date) {
        buckets = buckets.filter { _, bucket in
            bucket.tokens + max(now.timeIntervalSince(bucket.updated), 0) * perSecond < burst
        }
        guard buckets.count > lowWater else { return }
        let oldestFirst = buckets.sorted { $0.value.updated < $1.value.updated }
        for (key, _) in oldestFirst.prefix(buckets.count - lowWater) {
            buckets[key] = nil
        }
    }
}
