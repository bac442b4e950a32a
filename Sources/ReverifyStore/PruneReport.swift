/// How many rows one prune deleted, per table (rows removed by `ON DELETE CASCADE` with them are not counted).
public struct PruneReport: Sendable, Equatable, Codable {
    public var authorizationRequests = 0
    public var magicLinks = 0
    public var upstreamStates = 0
    public var pushedRequests = 0
    public var agentApprovals = 0
    public var authorizationCodes = 0
    public var accessTokens = 0
    public var refreshTokens = 0
    public var grants = 0
    public var sessions = 0
    public var verificationAttempts = 0
    public var emailSendRequests = 0
    public var webhookDeliveries = 0
    public var outboxEvents = 0
    public var auditRows = 0
    public var unconfirmedFactors = 0
    public var passkeyChallenges = 0

    public init() {}

    public var total: Int {
        authorizationRequests + magicLinks + upstreamStates + pushedRequests + agentApprovals + authorizationCodes + accessTokens + refreshTokens + grants
            + sessions + verificationAttempts + emailSendRequests + webhookDeliveries + outboxEvents + auditRows
            + unconfirmedFactors + passkeyChallenges
    }

    enum CodingKeys: String, CodingKey {
        case authorizationRequests = "authorization_requests", magicLinks = "magic_links", upstreamStates = "upstream_states", pushedRequests = "pushed_requests"
        case agentApprovals = "agent_approvals"
        case authorizationCodes = "authorization_codes", accessTokens = "access_tokens", refreshTokens = "refresh_tokens"
        case grants, sessions, verificationAttempts = "verification_attempts", emailSendRequests = "email_send_requests"
        case webhookDeliveries = "webhook_deliveries", outboxEvents = "outbox_events"
        case auditRows = "audit_log", unconfirmedFactors = "unconfirmed_factors"
        case passkeyChallenges = "passkey_challenges"
    }
}
