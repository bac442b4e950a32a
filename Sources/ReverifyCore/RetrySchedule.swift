/// How long to wait after each failed webhook attempt before the next one; when the steps run out the
/// delivery is dead-lettered (DESIGN 3: "exponential backoff and jitter … dead-letters after the window").
///
/// The default steps grow roughly exponentially and add up to a little over a day, the window a receiver
/// has to come back from an outage (the schedule Svix and other Standard Webhooks senders use).
public struct RetrySchedule: Sendable, Equatable, CustomStringConvertible {
    /// The wait before attempt 2, 3, …; `delays.count + 1` attempts in all.
    public let delays: [Duration]

    public init(_ delays: [Duration]) {
        self.delays = delays
    }

    /// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: 8 attempts over about 27.6 hours.
    public static let standard = RetrySchedule([
        .seconds(5), .seconds(5 * 60), .seconds(30 * 60), .seconds(2 * 3600), .seconds(5 * 3600),
        .seconds(10 * 3600), .seconds(10 * 3600),
    ])

    public var maximumAttempts: Int { delays.count + 1 }

    /// The longest the schedule can take from the first attempt to the last.
    public var window: Duration { delays.reduce(.zero, +) }

    /// The wait after failed attempt number `attempt` (1-based), or `nil` if it was the last.
    ///
    /// Jitter spreads retries of many deliveries that failed together (an outage) so they do not hit the
    /// receiver in lock-step. `jitter` is a uniform random number in `0...1`; the wait is drawn from
    /// `[step/2, step]` ("equal jitter") rather than `[0, step]` ("full jitter"), so the dead-letter
    /// window stays predictable: between half and all of ``window``, never a near-zero retry storm.
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Duration? {
        guard attempt >= 1, attempt <= delays.count else { return nil }
        let step = delays[attempt - 1].wholeMilliseconds
        let unit = min(max(jitter, 0), 1)
        return .milliseconds(step / 2 + Int64((Double(step - step / 2) * unit).rounded(.down)))
    }

    /// Parses `5s,5m,30m,2h` (units `ms`, `s`, `m`, `h`, `d`); `nil` for anything else.
    public init?(parsing text: String) {
        var delays: [Duration] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingWhitespace
            let digits = item.prefix { $0.isASCII && $0.isNumber }
            let unit = item.dropFirst(digits.count)
            guard !digits.isEmpty, digits.count <= 9, let value = Int64(digits) else { return nil }
            switch unit {
            case "ms": delays.append(.milliseconds(value))
            case "s": delays.append(.seconds(value))
            case "m": delays.append(.seconds(value * 60))
            case "h": delays.append(.seconds(value * 3600))
            case "d": delays.append(.seconds(value * 86_400))
            default: return nil
            }
        }
        self.init(delays)
    }

    public var description: String {
        delays.map { d in
            let ms = d.wholeMilliseconds
            if ms % 86_400_000 == 0 { return "\(ms / 86_400_000)d" }
            if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
            if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
            if ms % 1000 == 0 { return "\(ms / 1000)s" }
            return "\(ms)ms"
        }.joined(separator: ",")
    }
}
