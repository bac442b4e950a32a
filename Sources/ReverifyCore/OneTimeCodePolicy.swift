/// Rules for emailed one-time secrets (magic link + 6-digit code): lifetime, attempts, rate limits.
public struct OneTimeCodePolicy: Sendable, Equatable {
    /// How long a link and its code stay valid.
    public var lifetime: Seconds = .minutes(10)
    /// Wrong codes allowed before the code is burned.
    public var maximumAttempts = 5
    /// Messages per user, and per IP address, within `rateWindow`.
    public var maximumSendsPerUser = 5
    public var maximumSendsPerIP = 20
    public var rateWindow: Seconds = .minutes(15)

    public init() {}

    /// The state of one emailed secret.
    public enum State: Equatable, Sendable {
        case usable
        case expired
        case used
        /// Too many wrong codes: the code (and its link) no longer work.
        case burned
    }

    public func state(expiresAt: UnixTime, consumedAt: UnixTime?, failedAttempts: Int, now: UnixTime) -> State {
        if consumedAt != nil { return .used }
        if failedAttempts >= maximumAttempts { return .burned }
        if now >= expiresAt { return .expired }
        return .usable
    }

    /// Why another message may not be sent now, or `nil` if it may.
    public func sendRefusal(recentForUser: Int, recentForIP: Int) -> String? {
        if recentForUser >= maximumSendsPerUser {
            return "Too many emails were requested for this account. Wait a few minutes, or use another way to verify."
        }
        if recentForIP >= maximumSendsPerIP {
            return "Too many emails were requested from your network. Wait a few minutes and try again."
        }
        return nil
    }

    /// A 6-digit code typed by a person: digits only, spaces and dashes forgiven.
    public static func normalizedCode(_ typed: String) -> String? {
        let digits = typed.filter { $0 != " " && $0 != "-" }
        guard digits.count == 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return digits
    }
}
