import ReverifyCore
import ReverifyStore
import Synchronization

/// The server's one ``RateLimiter``, shared by every request of this process (per instance: several
/// processes each count on their own). The lock is held for a dictionary update only, never across a suspension.
public final class ClientRateLimit: Sendable {
    private let limiter: Mutex<RateLimiter>
    public let perMinute: Int

    public init(perMinute: Int) {
        self.perMinute = perMinute
        self.limiter = Mutex(RateLimiter(perMinute: perMinute))
    }

    public var isEnabled: Bool { perMinute > 0 }

    func take(_ key: RateLimitKey, at now: UnixMilliseconds = .wallClock()) -> RateLimitDecision {
        limiter.withLock { $0.take(key, at: now) }
    }
}
