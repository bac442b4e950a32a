/// What a receiver's answer to one webhook attempt means (DESIGN 3, Standard Webhooks "Retries").
public enum DeliveryVerdict: Equatable, Sendable {
    /// Any 2xx.
    case delivered
    /// `410 Gone`: the receiver asks us to stop; the endpoint is disabled.
    case gone
    /// `429`, `502`, `503`, `504` or a `Retry-After`: the receiver is overloaded; slow the whole endpoint down.
    case throttled(retryAfter: Duration?)
    /// Anything else (other statuses, redirects, connection errors, timeouts, refused addresses).
    case failed

    /// Classifies an HTTP answer. Redirects count as failures: following them would let a receiver
    /// bounce us to an address the SSRF guard refused.
    public static func classify(status: Int, retryAfter: String?, now: UnixTime) -> DeliveryVerdict {
        switch status {
        case 200..<300: return .delivered
        case 410: return .gone
        default:
            let wait = retryAfter.flatMap { RetryAfter.parse($0, now: now) }
            if [429, 502, 503, 504].contains(status) || wait != nil { return .throttled(retryAfter: wait) }
            return .failed
        }
    }
}

/// The `Retry-After` header (RFC 9110 10.2.3): delay-seconds or an HTTP-date.
public enum RetryAfter {
    public static func parse(_ value: String, now: UnixTime) -> Duration? {
        let text = Substring(value).trimmingWhitespace
        if !text.isEmpty, text.count <= 10, text.allSatisfy({ $0.isASCII && $0.isNumber }), let seconds = Int64(text) {
            return .seconds(seconds)
        }
        guard let date = CivilTime.parseIMFFixdate(text) else { return nil }
        return .seconds(max(0, (date - now).rawValue))
    }
}

/// What the worker does next with a delivery after an attempt.
public enum DeliveryDecision: Equatable, Sendable {
    case delivered
    /// Try again at `at`; when the receiver asked to slow down, hold every delivery to the endpoint until
    /// `pauseEndpointUntil`.
    case retry(at: UnixMilliseconds, pauseEndpointUntil: UnixMilliseconds?)
    /// The schedule is exhausted: dead-letter it (an operator can `webhooks replay` it).
    case dead
    /// `410 Gone`: disable the endpoint and dead-letter what it still had queued.
    case disableEndpoint
}

/// Turns a verdict into a decision using the retry schedule. Pure; the worker supplies time and randomness.
public struct DeliveryPolicy: Sendable, Equatable {
    public var schedule: RetrySchedule
    /// A `Retry-After` longer than this is capped, so a receiver cannot park a delivery forever.
    public var maximumRetryAfter: Duration

    public init(schedule: RetrySchedule = .standard, maximumRetryAfter: Duration = .seconds(86_400)) {
        self.schedule = schedule
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// - Parameters:
    ///   - attempt: the number of the attempt that just finished (1 for the first).
    ///   - jitter: uniform random numbers in `0...1`, one for the delivery and one for an endpoint pause.
    public func decide(
        _ verdict: DeliveryVerdict, attempt: Int, now: UnixMilliseconds, jitter: (delivery: Double, pause: Double)
    ) -> DeliveryDecision {
        let retryAfter: Duration?
        switch verdict {
        case .delivered: return .delivered
        case .gone: return .disableEndpoint
        case .failed: retryAfter = nil
        case .throttled(let wait): retryAfter = wait.map { min($0, maximumRetryAfter) }
        }
        guard let backoff = schedule.delay(afterAttempt: attempt, jitter: jitter.delivery) else { return .dead }
        let next = now + max(backoff, retryAfter ?? .zero)
        guard case .throttled = verdict else { return .retry(at: next, pauseEndpointUntil: nil) }
        // The throttled delivery follows its own backoff; newer deliveries to the endpoint wait at least
        // the Retry-After (or the first step), so an overloaded receiver gets breathing room, not a day off.
        let firstStep = schedule.delay(afterAttempt: 1, jitter: jitter.pause) ?? .zero
        return .retry(at: next, pauseEndpointUntil: now + max(firstStep, retryAfter ?? .zero))
    }
}
