/// What the token endpoint knows about an approval when the agent polls (OpenID CIBA Core 10.1).
public struct ApprovalPollState: Equatable, Sendable {
    public var status: ApprovalStatus
    public var expiresAt: UnixTime
    public var interval: Seconds
    public var lastPolledAt: UnixTime?

    public init(status: ApprovalStatus, expiresAt: UnixTime, interval: Seconds, lastPolledAt: UnixTime?) {
        self.status = status
        self.expiresAt = expiresAt
        self.interval = interval
        self.lastPolledAt = lastPolledAt
    }
}

/// The answer to one poll, and the state it leaves behind.
public enum ApprovalPollOutcome: Equatable, Sendable {
    /// `authorization_pending`; the poll time is recorded.
    case pending
    /// `slow_down`; the interval grows to this for this and every later poll (CIBA Core 11).
    case slowDown(interval: Seconds)
    /// `access_denied`: the person denied, or an operator revoked the request.
    case denied
    /// `expired_token`.
    case expired
    /// `invalid_grant`: the tokens were already issued (an approval yields tokens once).
    case alreadyRedeemed
    /// Approved: issue the tokens now, and mark the approval redeemed in the same transaction.
    case issue

    /// The error the token endpoint answers with; `nil` for `.issue`.
    public var error: OAuthError? {
        switch self {
        case .pending: OAuthError(.authorizationPending, "the person has not decided yet")
        case .slowDown(let interval): OAuthError(.slowDown, "poll at most every \(interval.rawValue) seconds")
        case .denied: OAuthError(.accessDenied, "the person denied the request, or it was revoked")
        case .expired: OAuthError(.expiredToken, "the auth_req_id has expired")
        case .alreadyRedeemed: OAuthError(.invalidGrant, "this auth_req_id was already used")
        case .issue: nil
        }
    }

    /// The state after this poll: only a pending poll records its time, and only slow_down moves the interval.
    public func applied(to state: ApprovalPollState, at now: UnixTime) -> ApprovalPollState {
        var next = state
        switch self {
        case .pending: next.lastPolledAt = now
        case .slowDown(let interval):
            next.lastPolledAt = now
            next.interval = interval
        case .issue:
            next.lastPolledAt = now
            next.status = .redeemed
        case .denied, .expired, .alreadyRedeemed: break
        }
        return next
    }
}

/// The poll-mode state machine of OpenID CIBA Core 7.3, 10.1 and 11. Pure: the store applies its answer
/// inside the transaction that read the state, so parallel polls of one approval see one another.
public enum ApprovalPolling {
    /// CIBA Core 7.3: "If no value is provided, clients MUST use 5 as the default value."
    public static let defaultInterval: Seconds = 5
    /// CIBA Core 11 `slow_down`: "the interval MUST be increased by at least 5 seconds".
    public static let slowDownStep: Seconds = 5
    /// `requested_expiry` when none is sent, and the most a client may ask for.
    public static let defaultExpiry: Seconds = .minutes(10)
    public static let maximumExpiry: Seconds = .hours(1)

    public static func poll(_ state: ApprovalPollState, at now: UnixTime) -> ApprovalPollOutcome {
        switch state.status {
        case .redeemed: return .alreadyRedeemed
        case .denied, .revoked: return .denied
        case .pending, .granted: break
        }
        // CIBA Core 7.3 `expires_in`: after it the request cannot yield tokens, approved or not.
        guard now < state.expiresAt else { return .expired }
        guard state.status == .pending else { return .issue }
        // "Polled sooner than interval since the last poll" (issue 12); the first poll is never too soon.
        if let last = state.lastPolledAt, now - last < state.interval {
            return .slowDown(interval: Seconds(state.interval.rawValue + slowDownStep.rawValue))
        }
        return .pending
    }

    /// CIBA Core 7.1 `requested_expiry`: a positive integer number of seconds, at most `maximumExpiry`.
    public static func expiry(requested: String?) throws(OAuthError) -> Seconds {
        guard let requested else { return defaultExpiry }
        guard let seconds = Int64(requested), seconds > 0 else {
            throw .invalidRequest("requested_expiry must be a positive number of seconds")
        }
        guard seconds <= maximumExpiry.rawValue else {
            throw .invalidRequest("requested_expiry must be at most \(maximumExpiry.rawValue) seconds")
        }
        return Seconds(seconds)
    }
}
