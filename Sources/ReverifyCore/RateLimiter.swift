/// Per-client-network token buckets for unauthenticated work (issue 9 item 5): each network may spend
/// `perMinute` requests in a burst and earns them back evenly over a minute. Pure: the caller owns the clock
/// and the lock.
///
/// Memory is bounded: at most `maximumKeys` buckets are kept. When full, buckets that have refilled completely
/// (they carry no information) are dropped first, then the least recently used one.
public struct RateLimiter: Sendable {
    public let perMinute: Int
    public let maximumKeys: Int
    private var buckets: [RateLimitKey: Bucket] = [:]

    struct Bucket: Sendable {
        var tokens: Double
        var updated: UnixMilliseconds
    }

    /// - Parameter perMinute: 0 disables limiting.
    public init(perMinute: Int, maximumKeys: Int = 10_000) {
        precondition(perMinute >= 0 && maximumKeys > 0)
        self.perMinute = perMinute
        self.maximumKeys = maximumKeys
    }

    public var isEnabled: Bool { perMinute > 0 }
    /// Buckets currently kept.
    public var trackedKeys: Int { buckets.count }

    /// Tokens earned back per millisecond.
    private var refillPerMillisecond: Double { Double(perMinute) / 60_000 }

    /// Spends one request for `key`: allowed, or limited with how long until one is available again.
    public mutating func take(_ key: RateLimitKey, at now: UnixMilliseconds) -> RateLimitDecision {
        guard isEnabled else { return .allowed }
        var bucket = buckets[key].map { refilled($0, at: now) } ?? Bucket(tokens: Double(perMinute), updated: now)
        if buckets[key] == nil { makeRoom(at: now) }
        guard bucket.tokens >= 1 else {
            buckets[key] = bucket
            // RFC 9110 10.2.3: Retry-After in whole seconds, rounded up so the retry finds a token.
            let wait = (1 - bucket.tokens) / refillPerMillisecond
            return .limited(retryAfter: Seconds(max(1, Int64((wait / 1000).rounded(.up)))))
        }
        bucket.tokens -= 1
        buckets[key] = bucket
        return .allowed
    }

    private func refilled(_ bucket: Bucket, at now: UnixMilliseconds) -> Bucket {
        let elapsed = Double(max(0, now.rawValue - bucket.updated.rawValue))
        return Bucket(tokens: min(Double(perMinute), bucket.tokens + elapsed * refillPerMillisecond), updated: now)
    }

    private mutating func makeRoom(at now: UnixMilliseconds) {
        guard buckets.count >= maximumKeys else { return }
        buckets = buckets.filter { refilled($0.value, at: now).tokens < Double(perMinute) }
        if buckets.count >= maximumKeys, let oldest = buckets.min(by: { $0.value.updated < $1.value.updated })?.key {
            buckets[oldest] = nil
        }
    }
}

/// What a limited request gets: `429 Too Many Requests` with `Retry-After` (RFC 6585 4).
public enum RateLimitDecision: Sendable, Equatable {
    case allowed
    case limited(retryAfter: Seconds)
}

/// Whom a bucket belongs to: an IPv4 address, or an IPv6 /64 (one subscriber's network, RFC 6177), since a
/// single host can use any address of its /64.
public struct RateLimitKey: Hashable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ address: IPAddress) {
        switch address {
        case .v4: description = address.description
        case .v6(let bytes): description = IPAddress(bytes: Array(bytes.prefix(8)) + Array(repeating: 0, count: 8))!.description + "/64"
        }
    }

    /// For a peer whose address is unknown (a Unix socket): they all share one bucket.
    public static let unknown = RateLimitKey(description: "unknown")

    private init(description: String) { self.description = description }
}
