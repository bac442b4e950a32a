import Foundation
import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `GET`/`POST /oauth2/authorize` (OIDC Core 3.1.2): validate, decide freshness, then answer with a code,
/// an error, or a hosted page.
struct AuthorizeRoutes {
    let services: Services
    var flow: AuthorizationFlow { AuthorizationFlow(services: services) }

    func register(on router: Router<ReverifyRequestContext>) {
        router.get("/oauth2/authorize") { request, context in
            try await self.authorize(FormParameters.query(of: request), request: request, context: context)
        }
        // OIDC Core 3.1.2.1: the endpoint MUST support GET and POST.
        router.post("/oauth2/authorize") { request, context in
            try await self.authorize(
                FormParameters.body(of: request, context: context), request: request, context: context)
        }
    }

    func authorize(_ urlParams: RequestParameters, request: Request, context: ReverifyRequestContext) async throws
        -> Response
    {
        let now = services.time.now()
        // 0. A pushed request or a signed request object replaces or overrides the URL's parameters.
        let stored = try await lookUpClient(urlParams)
        var params = urlParams
        if let stored {
            do {
                params = try await AuthorizationParameters(services: services).resolve(urlParams, client: stored)
            } catch {
                return try await refuseTransport(error, urlParams: urlParams, client: stored, request: request, context: context)
            }
        }
        // 1. Client and redirect URI first: until both check out, errors are shown, never redirected.
        let client = stored
        let redirectURI: String
        do {
            redirectURI = try AuthorizeRequestValidator.trustedRedirectURI(params, client: client?.registered)
        } catch {
            return services.pages.error(error.message)
        }
        guard let client = client?.registered else { return services.pages.error(UntrustedRedirectError.unknownClient.message) }
        let state = params.isUsable("state") ? params["state"] : nil

        // 2. The remaining rules, answered by redirect.
        var authorizeRequest: AuthorizeRequest
        let hinted: UserID?
        do {
            authorizeRequest = try AuthorizeRequestValidator.validate(
                params, client: client, redirectURI: redirectURI, now: now, decodeClaims: ClaimsRequest.decodeJSON)
            hinted = try await flow.hintedUser(authorizeRequest.idTokenHint)?.0
        } catch {
            return flow.redirectError(error, to: redirectURI, state: state)
        }

        // 3. Risk: a signed-in session in a changed context may need more than its age says (issue 11).
        let found = try await flow.currentSession(request, riskOf: context)
        let current = found.map { ($0.0, $0.1) }
        var assessment: RiskAssessor.Assessment?
        if let (session, user, history) = found {
            let assessed = try await RiskAssessor(services: services).assess(
                session: session, user: user, client: client, action: authorizeRequest.action, request: request,
                context: context, history: history)
            assessment = assessed
            if assessed.decision.outcome != .allow {
                try await auditRisk(assessed, session: session, client: client, http: request, context: context)
            }
            switch assessed.decision.outcome {
            case .allow: break
            case .deny:
                return flow.redirectError(
                    .accessDenied("the request was refused by the risk policy"), to: redirectURI, state: authorizeRequest.state)
            case .stepUp, .stepUpMFA:
                authorizeRequest = authorizeRequest.with(
                    risk: RiskRequirement(outcome: assessed.decision.outcome, triggers: assessed.decision.triggers))
            }
        }

        // 4. Freshness.
        var decision = FreshnessPolicy.decide(
            request: authorizeRequest, client: client, session: current?.0.snapshot, hintedUser: hinted, now: now,
            lifetimes: services.configuration.levelLifetimes)
        if case .reauthenticate(let reason) = decision, let (session, user) = current {
            decision = try await levelDecision(
                authorizeRequest, client: client, session: session, user: user,
                timeReason: reason == .assuranceLevel ? nil : reason)
        }
        let decisionAudit = auditDecision(
            decision, request: authorizeRequest, client: client, session: current?.0, risk: assessment, http: request,
            context: context)
        // The decision's audit row is written with what it decided, in one transaction (issue 13): with the code,
        // or with the hosted flow's request; a refusal has only the row.
        switch decision {
        case .proceed:
            guard let session = current?.0 else { throw HTTPError(.internalServerError) }
            return try await flow.issueCode(for: authorizeRequest, client: client, session: session, audit: decisionAudit)
        case .fail(let error):
            try await services.store.appendAudit(decisionAudit)
            return flow.redirectError(error, to: redirectURI, state: authorizeRequest.state)
        case .signIn(let pinned):
            return try await startInteraction(
                authorizeRequest, client: client, session: nil, pinnedUser: pinned, reason: .noSession, request: request,
                audit: decisionAudit)
        case .reauthenticate(let reason):
            return try await startInteraction(
                authorizeRequest, client: client, session: current?.0, pinnedUser: current?.0.userId, reason: reason,
                request: request, audit: decisionAudit)
        }
    }

    /// A re-verification is due; does the level the request needs change that? Step up when this user has a
    /// method that can reach it; when none can, an essential level fails at once rather than after a
    /// pointless verification, and a voluntary one continues with the level achieved (issue 10, item 2).
    ///
    /// - Parameter timeReason: why the session is stale by time, if it is (a re-verification is due anyway).
    private func levelDecision(
        _ authorizeRequest: AuthorizeRequest, client: RegisteredClient, session: SessionRecord, user: UserRecord,
        timeReason: ReauthReason?
    ) async throws -> FreshnessDecision {
        let timeDecision: FreshnessDecision = timeReason.map { .reauthenticate($0) } ?? .proceed
        guard let (requirement, plan) = try await StepUpCheck(services: services).plan(
            request: authorizeRequest, client: client, user: user, session: session)
        else { return timeDecision }
        switch plan {
        case .satisfied: return timeDecision
        case .offer: return .reauthenticate(timeReason ?? .assuranceLevel)
        case .unreachable where requirement.essential:
            return .fail(OAuthError(
                .unmetAuthenticationRequirements, "the user has no way to reach \(requirement.level.rawValue)"))
        case .unreachable: return timeDecision
        }
    }

    /// A pushed request or request object that cannot be used: redirected when the URL's own redirect URI
    /// is registered for the client, else shown on a page (RFC 6749 4.1.2.1); audited either way.
    private func refuseTransport(
        _ error: OAuthError, urlParams: RequestParameters, client: StoredClient, request: Request,
        context: ReverifyRequestContext
    ) async throws -> Response {
        try await services.store.appendAudit(
            flow.audit(
                .authorizeDecision, .failure, request: request, context: context, client: client.record.id,
                reason: error.code.rawValue, detail: ["error_description": String(error.description.prefix(200))]))
        if let uri = urlParams["redirect_uri"], urlParams.isUsable("redirect_uri"), client.registered.isRegistered(redirectURI: uri) {
            return flow.redirectError(error, to: uri, state: urlParams.isUsable("state") ? urlParams["state"] : nil)
        }
        return services.pages.error("The application's request could not be used: \(error.description).")
    }

    /// DESIGN 5: trigger(s), the state of the session's context, and the outcome.
    static func riskDetail(_ risk: RiskAssessor.Assessment) -> [String: String] {
        [
            "risk_outcome": risk.decision.outcome.rawValue, "risk_score": String(risk.decision.score),
            "risk_triggers": risk.decision.triggers.map(\.rawValue).joined(separator: " "),
            "device_known": String(risk.context.deviceKnown), "network_known": String(risk.context.networkKnown),
        ]
    }

    /// A step-up or denial the risk policy caused: its own audit row, published as
    /// `session.risk_step_up_required` (issue 11, item 6).
    private func auditRisk(
        _ risk: RiskAssessor.Assessment, session: SessionRecord, client: RegisteredClient, http: Request,
        context: ReverifyRequestContext
    ) async throws {
        let now = services.time.now()
        var detail = Self.riskDetail(risk)
        // DESIGN 5: the session's state when the decision was made.
        detail["auth_time_age"] = String((now - session.authTime).rawValue)
        detail["session_age"] = String((now - session.createdAt).rawValue)
        detail["idle"] = String((now - session.lastSeenAt).rawValue)
        detail["acr_before"] = session.effectiveAssurance(at: now, lifetimes: services.configuration.levelLifetimes).acr.rawValue
        try await services.store.appendAudit(
            flow.audit(
                .riskStepUpRequired, risk.decision.outcome == .deny ? .failure : .info, request: http, context: context,
                user: session.userId, session: session.id, client: client.id, reason: risk.decision.outcome.rawValue,
                detail: detail))
    }

    private func lookUpClient(_ params: RequestParameters) async throws -> StoredClient? {
        guard params.isUsable("client_id"), let raw = params["client_id"], let id = ClientID(validating: raw) else {
            return nil
        }
        let client = try await services.store.client(id: id)
        if let client { RequestLogFacts.note(client: client.record.id) }
        return client
    }

    /// Stores the pending flow bound to this browser and sends the user to the hosted page.
    private func startInteraction(
        _ authorizeRequest: AuthorizeRequest, client: RegisteredClient, session: SessionRecord?, pinnedUser: UserID?,
        reason: ReauthReason, request: Request, audit: AuditRecord
    ) async throws -> Response {
        let now = services.time.now()
        let existingBrowser = flow.cookies.browserSecret(in: request).flatMap { $0.utf8.count == 43 ? $0 : nil }
        let browserSecret = existingBrowser ?? OpaqueToken.generate().value
        let id = AuthorizationRequestID(rawValue: IdentifierGenerator.make(prefix: AuthorizationRequestID.prefix))
        let csrf = AuthorizationFlow.csrfToken(browserSecret: browserSecret, purpose: id.rawValue)
        try await services.store.saveAuthorizationRequest(
            AuthorizationRequestRecord(
                id: id, browserHash: TokenHash(of: browserSecret).hex, csrfHash: TokenHash(of: csrf).hex,
                clientId: client.id, request: authorizeRequest, sessionId: session?.id, pinnedUserId: pinnedUser,
                reason: reason, createdAt: now, expiresAt: now + services.configuration.interactionLifetime),
            audit: audit)
        var response = Response(
            status: .found, headers: [.location: "/reauth/\(id.rawValue)", .cacheControl: "no-store"])
        if existingBrowser == nil { response.setCookie(flow.cookies.browser(browserSecret)) }
        return response
    }

    /// DESIGN 5: every decision is audited with its trigger and the session state before it.
    private func auditDecision(
        _ decision: FreshnessDecision, request: AuthorizeRequest, client: RegisteredClient, session: SessionRecord?,
        risk: RiskAssessor.Assessment?, http: Request, context: ReverifyRequestContext
    ) -> AuditRecord {
        let outcome: String
        switch decision {
        case .proceed: outcome = "fresh"
        case .signIn: outcome = "sign_in"
        case .reauthenticate(let reason): outcome = "reauthenticate:\(reason.rawValue)"
        case .fail(let error): outcome = error.code.rawValue
        }
        var detail = ["decision": outcome]
        if let maxAge = request.maxAge { detail["max_age"] = String(maxAge.rawValue) }
        if let prompt = request.prompt.rawValue { detail["prompt"] = prompt }
        if let action = request.action { detail["action"] = action }
        if let session {
            detail["auth_time_before"] = String(session.authTime.rawValue)
            detail["acr_before"] = session.effectiveAssurance(
                at: services.time.now(), lifetimes: services.configuration.levelLifetimes).acr.rawValue
        }
        if let risk { detail.merge(Self.riskDetail(risk)) { ours, _ in ours } }
        if let requirement = request.levelRequirement(client: client) {
            detail["acr_required"] = requirement.level.rawValue
            detail["acr_source"] = requirement.sources.map(\.rawValue).joined(separator: " ")
        }
        return flow.audit(
            .authorizeDecision, .info, request: http, context: context, user: session?.userId,
            session: session?.id, client: request.clientID, reason: outcome, detail: detail)
    }
}
