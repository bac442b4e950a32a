/// How many failed verifications one account may have before further attempts are refused.
///
/// Counters are keyed on the normalised email the attempt names, whether or not an account exists,
/// so a lockout never tells an attacker which addresses are real (issue 9, item 9). Password and
/// emailed-code failures share the counters: every guess at any secret of the account counts.
public struct LockoutPolicy: Sendable, Equatable {
    /// Failures within `window` before the account is locked for the rest of the window.
    public var maximumFailures = 10
    public var window: Seconds = .minutes(15)
    /// NIST SP 800-63B 5.2.2: no more than 100 consecutive failed attempts on one account. Failures
    /// since the last success within `dailyWindow` count; a success resets the count.
    public var maximumConsecutiveFailures = 100
    public var dailyWindow: Seconds = .days(1)

    public init() {}

    /// Whether a new attempt may start, given the attempts already recorded for the account.
    ///
    /// Attempts still in flight count as failures: reserving before checking is what keeps N
    /// parallel guesses from exceeding the limit (issue 9, item 3).
    public func allowsAttempt(_ counts: AttemptCounts) -> Bool {
        counts.failuresInWindow < maximumFailures && counts.consecutiveFailures < maximumConsecutiveFailures
    }
}

/// What the store counted for one account when an attempt asked to start.
public struct AttemptCounts: Sendable, Equatable {
    /// Failed or unfinished attempts within the lockout window.
    public var failuresInWindow: Int
    /// Failed or unfinished attempts since the last success, within the daily window.
    public var consecutiveFailures: Int

    public init(failuresInWindow: Int, consecutiveFailures: Int) {
        self.failuresInWindow = failuresInWindow
        self.consecutiveFailures = consecutiveFailures
    }
}

/// Which secret an attempt guesses at; all of them count against the same account.
public enum AttemptKind: String, Codable, Sendable, CaseIterable {
    case password
    case emailCode = "email_code"
    /// A code from an authenticator app (issue 18): it shares the account's one failure budget.
    case totp
}

/// How a reserved attempt ended.
public enum AttemptOutcome: String, Codable, Sendable {
    case pending
    case failed
    case succeeded
    /// Nothing was checked after all (no usable code existed): the attempt does not count.
    case void
}
