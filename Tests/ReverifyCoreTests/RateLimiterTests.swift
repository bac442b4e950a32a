import ReverifyCore
import Testing

@Suite struct RateLimiterTests {
    let t0 = UnixMilliseconds(1_795_000_000_000)
    let alice = RateLimitKey(IPAddress("203.0.113.7")!)
    let bob = RateLimitKey(IPAddress("198.51.100.9")!)

    func ms(_ seconds: Double) -> Duration { .milliseconds(Int64(seconds * 1000)) }

    @Test func aBurstUpToTheLimitPassesThenTheNextIsLimitedWithRetryAfter() {
        var limiter = RateLimiter(perMinute: 3)
        for _ in 0..<3 { #expect(limiter.take(alice, at: t0) == .allowed) }
        // One token comes back every 20 s.
        #expect(limiter.take(alice, at: t0) == .limited(retryAfter: 20))
        #expect(limiter.take(alice, at: t0 + ms(15)) == .limited(retryAfter: 5))
    }

    @Test func tokensComeBackEvenlyOverAMinute() {
        var limiter = RateLimiter(perMinute: 3)
        for _ in 0..<3 { _ = limiter.take(alice, at: t0) }
        #expect(limiter.take(alice, at: t0 + ms(20)) == .allowed)
        #expect(limiter.take(alice, at: t0 + ms(20)) != .allowed)
        for _ in 0..<3 { #expect(limiter.take(alice, at: t0 + ms(80)) == .allowed) }
    }

    @Test func eachNetworkHasItsOwnBucket() {
        var limiter = RateLimiter(perMinute: 1)
        #expect(limiter.take(alice, at: t0) == .allowed)
        #expect(limiter.take(bob, at: t0) == .allowed)
        #expect(limiter.take(alice, at: t0) != .allowed)
    }

    @Test func hostsOfOneIPv6Slash64ShareABucket() {
        let a = RateLimitKey(IPAddress("2001:db8:1:2::1")!)
        let b = RateLimitKey(IPAddress("2001:db8:1:2:ffff::9")!)
        let other = RateLimitKey(IPAddress("2001:db8:1:3::1")!)
        #expect(a == b)
        #expect(a != other)
        var limiter = RateLimiter(perMinute: 1)
        #expect(limiter.take(a, at: t0) == .allowed)
        #expect(limiter.take(b, at: t0) != .allowed)
        #expect(limiter.take(other, at: t0) == .allowed)
    }

    @Test func zeroPerMinuteNeverLimits() {
        var limiter = RateLimiter(perMinute: 0)
        for _ in 0..<1000 { #expect(limiter.take(alice, at: t0) == .allowed) }
        #expect(limiter.trackedKeys == 0)
    }

    @Test func memoryStaysBoundedDroppingRefilledBucketsFirst() {
        var limiter = RateLimiter(perMinute: 2, maximumKeys: 2)
        _ = limiter.take(alice, at: t0)
        _ = limiter.take(bob, at: t0 + ms(50))
        // A minute after alice's request her bucket is full again: it goes, bob's (still spending) stays.
        let carol = RateLimitKey(IPAddress("192.0.2.1")!)
        _ = limiter.take(carol, at: t0 + ms(61))
        #expect(limiter.trackedKeys == 2)
        _ = limiter.take(bob, at: t0 + ms(61))
        #expect(limiter.take(bob, at: t0 + ms(61)) != .allowed)  // bob's spending was remembered
    }

    @Test func whenNoBucketIsRefilledTheLeastRecentlyUsedGoes() {
        var limiter = RateLimiter(perMinute: 1, maximumKeys: 2)
        _ = limiter.take(alice, at: t0)
        _ = limiter.take(bob, at: t0 + ms(1))
        for i in 0..<100 {
            let key = RateLimitKey(IPAddress("10.0.\(i / 250).\(i % 250)")!)
            _ = limiter.take(key, at: t0 + ms(2 + Double(i) / 100))
            #expect(limiter.trackedKeys <= 2)
        }
    }
}
