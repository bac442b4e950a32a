/// The JSON body of a webhook (DESIGN 3), exactly as it is stored in the outbox and signed:
///
/// ```json
/// {"id":"evt_…","type":"authentication.reauthenticated","created_at":"2026-11-22T10:00:00Z","data":{…}}
/// ```
public struct WebhookEvent: Encodable, Equatable, Sendable {
    public var id: WebhookEventID
    public var type: WebhookEventType
    /// When the change it reports happened (the audit row's time), as RFC 3339 UTC on the wire.
    public var createdAt: UnixTime
    public var data: WebhookEventData

    public init(id: WebhookEventID, type: WebhookEventType, createdAt: UnixTime, data: WebhookEventData) {
        self.id = id
        self.type = type
        self.createdAt = createdAt
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case id, type, createdAt = "created_at", data
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(type, forKey: .type)
        try c.encode(createdAt.rfc3339, forKey: .createdAt)
        try c.encode(data, forKey: .data)
    }
}

/// The `data` object of an event. Fields that do not apply to an event type are left out of the JSON.
public struct WebhookEventData: Encodable, Equatable, Sendable {
    public var userId: UserID?
    public var sessionId: SessionID?
    public var clientId: ClientID?
    /// How the user proved who they are (`password`, `email_code`, `magic_link`, `federated`).
    public var method: AuthMethod?
    /// The session's `auth_time` after this verification (seconds since the epoch, OIDC Core 2).
    public var authTime: UnixTime?
    /// The session's `auth_time` before a re-authentication moved it forward.
    public var previousAuthTime: UnixTime?
    /// RFC 8176 values of the resulting session.
    public var amr: [AMR]?
    public var acr: ACR?
    /// The session's effective level before a re-authentication (issue 10, item 7).
    public var previousAcr: ACR?
    /// What demanded the verification.
    public var trigger: WebhookTrigger?
    public var ipAddress: String?
    public var userAgent: String?
    /// Why an attempt failed or a session ended (`wrong_password`, `locked_out`, `rp_initiated_logout`, …).
    public var reason: String?
    /// For `authentication.failed`: whether the attempt was a `sign_in` or a `reauthentication`.
    public var flow: String?
    /// For `session.risk_step_up_required`: the signals that fired (`new_device`, `new_network`, …).
    public var riskTriggers: [String]?
    /// For `webhook.test`: the endpoint the test was sent to.
    public var endpointId: WebhookEndpointID?
    /// For `agent.approval_*`: which approval (`reverify approvals list` shows it).
    public var approvalId: ApprovalID?
    /// For `authentication.factor_added` / `authentication.factor_removed`: which factor (issue 18).
    public var factor: WebhookFactor?

    public init(
        userId: UserID? = nil, sessionId: SessionID? = nil, clientId: ClientID? = nil, method: AuthMethod? = nil,
        authTime: UnixTime? = nil, previousAuthTime: UnixTime? = nil, amr: [AMR]? = nil, acr: ACR? = nil,
        previousAcr: ACR? = nil, trigger: WebhookTrigger? = nil, ipAddress: String? = nil, userAgent: String? = nil, reason: String? = nil,
        riskTriggers: [String]? = nil, flow: String? = nil, endpointId: WebhookEndpointID? = nil, factor: WebhookFactor? = nil
    ) {
        self.factor = factor
        self.riskTriggers = riskTriggers
        self.userId = userId
        self.sessionId = sessionId
        self.clientId = clientId
        self.method = method
        self.authTime = authTime
        self.previousAuthTime = previousAuthTime
        self.amr = amr
        self.acr = acr
        self.previousAcr = previousAcr
        self.trigger = trigger
        self.ipAddress = ipAddress
        self.userAgent = userAgent
        self.reason = reason
        self.flow = flow
        self.endpointId = endpointId
    }

    enum CodingKeys: String, CodingKey {
        case userId = "user_id", sessionId = "session_id", clientId = "client_id", method
        case authTime = "auth_time", previousAuthTime = "previous_auth_time", amr, acr, previousAcr = "previous_acr", trigger
        case ipAddress = "ip_address", userAgent = "user_agent", reason, riskTriggers = "risk_triggers", flow
        case endpointId = "endpoint_id", approvalId = "approval_id", factor
    }
}

/// Why a verification was demanded: the freshness decision's reason, the `max_age` that applied, the
/// sensitive action named, and the assurance level required with the rules that demanded it
/// (`request`, `essential_claim`, `client_floor`, `action`). Absent values are `null`.
public struct WebhookTrigger: Encodable, Equatable, Sendable {
    public var reason: String
    public var maxAge: Seconds?
    public var action: String?
    public var acr: ACR?
    public var acrSources: [LevelSource]?

    public init(reason: String, maxAge: Seconds? = nil, action: String? = nil, acr: ACR? = nil, acrSources: [LevelSource]? = nil) {
        self.reason = reason
        self.maxAge = maxAge
        self.action = action
        self.acr = acr
        self.acrSources = acrSources
    }

    enum CodingKeys: String, CodingKey {
        case reason, maxAge = "max_age", action, acr, acrSources = "acr_sources"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reason, forKey: .reason)
        // Always present (null when absent) so receivers see one shape.
        try c.encode(maxAge?.rawValue, forKey: .maxAge)
        try c.encode(action, forKey: .action)
        try c.encode(acr, forKey: .acr)
        try c.encode(acrSources, forKey: .acrSources)
    }
}

/// The factor an `authentication.factor_*` event is about: its id, kind (`totp`, `passkey`) and the user's name for it.
public struct WebhookFactor: Encodable, Equatable, Sendable {
    public var id: FactorID
    public var kind: UserFactorKind?
    public var name: String?

    public init(id: FactorID, kind: UserFactorKind?, name: String?) {
        self.id = id
        self.kind = kind
        self.name = name
    }
}
