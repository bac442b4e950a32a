import Hummingbird
import ReverifyCore
import ReverifyStore

/// `POST /v1/decisions` (issue 11, item 4): a resource server asks, for one privileged call, whether the
/// person behind an access token (or a session) may act now, and gets a short-lived answer with a ready
/// RFC 9470 challenge when a step-up is needed. Authenticated as at the token endpoint; every call audited.
struct DecisionRoutes {
    let services: Services
    /// The answer describes a moment: callers must not reuse it longer than this.
    static let lifetime: Seconds = 60

    func register(on router: Router<ReverifyRequestContext>) {
        router.post("/v1/decisions") { request, context in try await self.decide(request, context: context) }
    }

    struct Answer: Encodable {
        struct Required: Encodable {
            let acr: String?
            let max_age: Int64?
        }
        let decision: String
        let reasons: [String]
        let required: Required?
        let challenge: String?
        let expires_in: Int64
    }

    func decide(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let form = try await FormParameters.body(of: request, context: context)
        let caller: StoredClient
        switch try await ClientAuthenticator(services: services).authenticate(request, context: context, form: form, allowPublic: false) {
        case .failure(let failure): return failure.response
        case .success(let client): caller = client
        }
        // The session: from an access token issued to the caller (or any, for a resource server), or by id
        // for a resource server.
        let session: SessionRecord
        let actionsOwner: ClientID
        if let token = form["token"] {
            guard let live = try await AccessTokenValidator(services: services).validate(token),
                live.claims.client_id == caller.record.id.rawValue || caller.record.resourceServer
            else { return ProtocolResponse.error(.init(.invalidToken, "the access token is invalid, expired or not yours")) }
            session = live.session
            actionsOwner = ClientID(rawValue: live.claims.client_id)
        } else if let raw = form["session_id"], caller.record.resourceServer {
            guard let id = SessionID(validating: raw), let found = try await services.store.session(id: id),
                found.isActive(at: services.time.now())
            else { return ProtocolResponse.error(.invalidRequest("no live session with that id")) }
            session = found
            actionsOwner = caller.record.id
        } else {
            return ProtocolResponse.error(.invalidRequest("token is required (session_id only for a resource server)"))
        }
        guard let user = try await services.store.user(id: session.userId), !user.isDisabled else {
            return ProtocolResponse.error(.invalidRequest("the session's user is disabled"))
        }
        let owner = actionsOwner == caller.record.id ? caller : try await services.store.client(id: actionsOwner)
        var action: ActionPolicy?
        if let name = form["action"] {
            guard let registered = owner?.record.actions[name] else {
                return ProtocolResponse.error(.invalidRequest("action '\(name.prefix(64))' is not registered"))
            }
            action = registered
        }

        // The context the resource server saw, scored like an authorization (the session's own device).
        let c = services.configuration
        let now = services.time.now()
        let ip = form["ip_address"].flatMap { IPAddress($0) }.map(\.description)
        let history = try await services.store.riskHistory(
            user: user.id, session: session.id, deviceHash: session.deviceId, networkPrefix: ip.flatMap(NetworkPrefix.of),
            attemptSubject: AttemptGuard.subject(email: user.email), ipAddress: ip, at: now,
            networkMemory: c.risk.networkMemory, velocityWindow: c.risk.velocityWindow)
        let riskContext = RiskContext(
            deviceKnown: history.deviceKnown || session.deviceId == nil, networkKnown: history.networkKnown,
            userAgentChanged: form["user_agent"].map { BrowserFamily(userAgent: $0) != BrowserFamily(userAgent: session.userAgent) } ?? false,
            recentFailures: history.recentFailures, addressFailures: history.addressFailures, flags: history.flags)
        let risk = services.riskPolicy.current.evaluate(riskContext, client: actionsOwner, action: form["action"])
        let decision = ActionDecision.decide(
            authTime: session.authTime, levels: session.levels, action: action, risk: risk, now: now, lifetimes: c.levelLifetimes)

        var detail = AuthorizeRoutes.riskDetail(.init(decision: risk, context: riskContext))
        detail["decision"] = decision.verdict.rawValue
        detail["reasons"] = decision.reasons.joined(separator: " ")
        detail["auth_time_age"] = String((now - session.authTime).rawValue)
        detail["acr_before"] = session.effectiveAssurance(at: now, lifetimes: c.levelLifetimes).acr.rawValue
        if let name = form["action"] { detail["action"] = name }
        try await services.store.appendAudit(
            AuditRecord(
                at: now, event: .actionDecision, outcome: decision.verdict == .deny ? .failure : .info, userId: user.id,
                sessionId: session.id, clientId: caller.record.id, reason: decision.verdict.rawValue,
                ipAddress: context.ipAddress, userAgent: request.userAgent, detail: detail))

        let required = decision.verdict == .stepUp
            ? Answer.Required(acr: decision.requiredLevel?.rawValue, max_age: decision.requiredMaxAge?.rawValue) : nil
        return try ProtocolResponse.json(
            Answer(
                decision: decision.verdict.rawValue, reasons: decision.reasons, required: required,
                challenge: decision.challenge?.headerValue, expires_in: Self.lifetime.rawValue))
    }
}
