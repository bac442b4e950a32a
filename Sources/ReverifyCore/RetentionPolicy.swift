/// How long Reverify keeps what it no longer needs (issue 9 item 5): without it every unauthenticated request
/// leaves rows behind forever.
///
/// Nothing still usable is ever deleted: a pending flow, link, code or token is kept until it has expired, a
/// grant until it is revoked or out of tokens, a session until it has ended *and* has no grant left (a grant
/// may outlive its session), and an event until every delivery of it was delivered.
public struct RetentionPolicy: Sendable, Equatable {
    /// Expired or ended rows are kept this long after the fact, so every rule that looks back (send limits and
    /// lockouts look back 15 minutes) and an operator investigating yesterday still see them.
    public var afterExpiry: Seconds = .days(1)
    /// Verification attempts and verification-email requests, the rows lockouts and send limits count. They look
    /// back at most a day (`LockoutPolicy.dailyWindow`); twice that keeps every row a count can still include.
    public var attemptCounters: Seconds = .days(2)
    /// Delivered webhook deliveries, their attempts, and events with nothing left to deliver.
    public var deliveredWebhooks: Seconds = .days(30)
    /// Audit rows (`--audit-retention-days`): 400 days covers a year of reviews plus a month of slack.
    public var audit: Seconds = .days(400)

    public init() {}

    public init(auditDays: Int64, webhookDays: Int64) throws(RetentionPolicyError) {
        guard (1...36_500).contains(auditDays) else { throw .outOfRange("audit retention", days: auditDays) }
        guard (1...36_500).contains(webhookDays) else { throw .outOfRange("webhook retention", days: webhookDays) }
        self.audit = .days(auditDays)
        self.deliveredWebhooks = .days(webhookDays)
    }

    /// The moments before which each kind of row may go, for a prune run at `now`.
    public func cutoffs(at now: UnixTime) -> RetentionCutoffs {
        RetentionCutoffs(
            expiredBefore: now - afterExpiry, countersBefore: now - attemptCounters,
            deliveredBefore: UnixMilliseconds(now - deliveredWebhooks), auditBefore: now - audit)
    }
}

/// What one prune deletes: rows that expired or ended before `expiredBefore`, attempt counters recorded before
/// `countersBefore`, deliveries delivered before `deliveredBefore`, and audit rows written before `auditBefore`.
public struct RetentionCutoffs: Sendable, Equatable {
    public var expiredBefore: UnixTime
    public var countersBefore: UnixTime
    public var deliveredBefore: UnixMilliseconds
    public var auditBefore: UnixTime

    public init(expiredBefore: UnixTime, countersBefore: UnixTime, deliveredBefore: UnixMilliseconds, auditBefore: UnixTime) {
        self.expiredBefore = expiredBefore
        self.countersBefore = countersBefore
        self.deliveredBefore = deliveredBefore
        self.auditBefore = auditBefore
    }
}

public enum RetentionPolicyError: Error, Equatable, CustomStringConvertible {
    case outOfRange(String, days: Int64)

    public var description: String {
        switch self {
        case .outOfRange(let what, let days): "\(what) must be 1 to 36500 days, not \(days)"
        }
    }
}
