import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// The one place a verification completes, whatever the method (password, emailed link or code,
/// upstream SSO, authenticator app, passkey, and every method added later): it moves `auth_time`, `amr` and
/// `acr`, replaces the session secret, writes the audit row (and so the event) in the same transaction, and
/// then continues as the pending flow asks (``VerificationContinuation``): the authorization exactly as if the
/// session had been fresh, back to the account security page, or on to an agent's approval page.
struct VerificationCompletion {
    let services: Services
    var flow: AuthorizationFlow { AuthorizationFlow(services: services) }

    /// A verification of `user` by `method` succeeded for `pending`.
    ///
    /// - Parameters:
    ///   - extraAMR: values the method brings with it (an upstream provider's own `amr`, DESIGN 2).
    ///   - detail: extra audit detail (which upstream, which subject).
    func complete(
        _ pending: HostedPageRoutes.Pending, user: UserRecord, method: AuthMethod, extraAMR: [AMR] = [],
        request: Request, context: ReverifyRequestContext, detail extraDetail: [String: String] = [:]
    ) async throws -> Response {
        let now = services.time.now()
        let c = services.configuration
        RequestLogFacts.note(user: user.id)
        // DESIGN 5 "bound to the verifier": every verification issues a new session secret, so a copied
        // cookie never inherits the freshness that another browser earned (issue 9, item 1).
        let secret = OpaqueToken.generate()
        let previous = pending.session?.0
        var history = previous?.verifications ?? VerificationHistory()
        let (amr, acr) = history.record(method, at: now, window: c.mfaWindow, extraAMR: extraAMR)
        var levels = previous?.levels ?? LevelHistory()
        levels.record(acr, at: now)
        let levelBefore = previous.map { $0.effectiveAssurance(at: now, lifetimes: c.levelLifetimes).acr }
        let detail = Self.eventDetail(
            pending.record, client: pending.client, authTime: now, previousAuthTime: previous?.authTime, amr: amr,
            acr: acr, levelBefore: levelBefore
        ).merging(extraDetail) { ours, _ in ours }
        // This device and network are known from now on (issue 11), written with the session: the trigger they
        // caused is cleared for them only.
        let known = RiskAssessor(services: services).verifiedContext(
            user: user.id, browserSecret: pending.browserSecret, context: context)
        let session: SessionRecord
        if let previous {
            try await services.store.recordReauthentication(
                session: previous.id, newSecretHash: secret.hash.hex, authTime: now, amr: amr, acr: acr,
                verifications: history, levels: levels,
                audit: flow.audit(
                    .reauthentication, .success, request: request, context: context, user: user.id,
                    session: previous.id, client: pending.client.id, method: method,
                    reason: pending.record.reason.rawValue, detail: detail),
                remembering: known)
            var updated = previous
            updated.authTime = now
            updated.amr = amr
            updated.acr = acr
            updated.verifications = history
            updated.levels = levels
            session = updated
        } else {
            session = SessionRecord(
                id: SessionID(rawValue: IdentifierGenerator.make(prefix: SessionID.prefix)), secretHash: secret.hash.hex,
                userId: user.id, createdAt: now, authTime: now, amr: amr, acr: acr, verifications: history,
                ipAddress: context.ipAddress, userAgent: request.userAgent,
                deviceId: TokenHash(of: pending.browserSecret).hex, lastSeenAt: now,
                idleExpiresAt: now + c.sessionIdleTimeout, expiresAt: now + c.sessionAbsoluteLifetime, levels: levels)
            try await services.store.createSession(
                session,
                audit: flow.audit(
                    .signIn, .success, request: request, context: context, user: user.id, session: session.id,
                    client: pending.client.id, method: method, reason: pending.record.reason.rawValue, detail: detail),
                remembering: known)
        }
        var response: Response
        switch pending.record.next {
        case .authorization, .approval:
            response = try await continueAuthorization(
                pending, session: session, user: user, verifiedAt: now, request: request, context: context)
        case .accountSecurity(let returnTo):
            response = try await returnToAccount(pending, path: returnTo)
        }
        response.setCookie(flow.cookies.session(secret, expiresAt: session.expiresAt, now: now))
        return response
    }

    /// After a verification: the code, or the next step when the level the flow needs is not reached yet
    /// (issue 10), or `unmet_authentication_requirements` when it cannot be reached and was essential.
    ///
    /// The level is judged at `verifiedAt`, the instant the verification completed: with `max_age=0` a clock
    /// second passing while the session is written must not make the level just achieved look too old.
    private func continueAuthorization(
        _ pending: HostedPageRoutes.Pending, session: SessionRecord, user: UserRecord, verifiedAt: UnixTime,
        request: Request, context: ReverifyRequestContext
    ) async throws -> Response {
        let authorize = pending.record.request
        do {
            switch try await StepUpCheck(services: services).plan(
                request: authorize, client: pending.client, user: user, session: session, at: verifiedAt)?.plan
            {
            case .offer?:
                // One more step on the same flow, now for this session (a sign-in becomes a step-up).
                if pending.session == nil {
                    try await services.store.bindAuthorizationRequest(id: pending.record.id, session: session.id, user: user.id)
                }
                return Response(status: .seeOther, headers: [.location: "/reauth/\(pending.record.id.rawValue)", .cacheControl: "no-store"])
            case .unreachable? where authorize.levelRequirement(client: pending.client)?.essential == true:
                let error = OAuthError(.unmetAuthenticationRequirements, "the requested assurance level cannot be reached")
                let audit = flow.audit(
                    .accessDenied, .failure, request: request, context: context, user: user.id, session: session.id,
                    client: pending.client.id, reason: error.code.rawValue)
                guard try await services.store.cancelAuthorizationRequest(id: pending.record.id, at: services.time.now(), audit: audit)
                else { throw FlowError.alreadyCompleted }
                return flow.redirectError(error, to: authorize.redirectURI, state: authorize.state)
            case .unreachable?, .satisfied?, nil:
                if case .approval(let approval) = pending.record.next {
                    return try await continueApproval(approval, pending: pending, session: session)
                }
                // A voluntary level that cannot be reached continues with the level achieved; the token says so.
                return try await flow.issueCode(
                    for: authorize, client: pending.client, session: session, completing: pending.record.id)
            }
        } catch FlowError.alreadyCompleted {
            return services.pages.error("This request was already completed. Return to the application.", status: .conflict)
        }
    }

    /// The continuation of a verification for an agent's approval (issue 12 item 4): no code; the flow ends
    /// and the person goes on to the approval page, which offers Approve only while this verification is
    /// fresh and strong enough for the action.
    private func continueApproval(_ approval: ApprovalID, pending: HostedPageRoutes.Pending, session: SessionRecord)
        async throws -> Response
    {
        guard try await services.store.completeApprovalVerification(
            request: pending.record.id, approval: approval, session: session.id, at: services.time.now())
        else { throw FlowError.alreadyCompleted }
        return Response(status: .seeOther, headers: [.location: ApprovalPageRoutes.reviewPath(approval), .cacheControl: "no-store"])
    }

    /// After a re-verification the security page asked for (issue 18): the flow ends without a code and the
    /// browser returns to the page, now free to change factors for the next few minutes.
    private func returnToAccount(_ pending: HostedPageRoutes.Pending, path: String) async throws -> Response {
        guard try await services.store.finishAuthorizationRequest(id: pending.record.id, at: services.time.now()) else {
            return services.pages.error("This request was already completed.", status: .conflict)
        }
        return Response(
            status: .seeOther, headers: [.location: AccountSecurityRules.returnPath(path), .cacheControl: "no-store"])
    }

    /// What audit (and the events derived from it) records about a successful verification: the new and
    /// previous `auth_time`, the resulting `amr`/`acr`, and what triggered it (DESIGN 3 `trigger`).
    static func eventDetail(
        _ record: AuthorizationRequestRecord, client: RegisteredClient, authTime: UnixTime, previousAuthTime: UnixTime?,
        amr: [AMR], acr: ACR, levelBefore: ACR?
    ) -> [String: String] {
        var detail = [
            "auth_time": String(authTime.rawValue), "amr": amr.map(\.rawValue).joined(separator: " "), "acr": acr.rawValue,
            "trigger_reason": record.reason.rawValue,
        ]
        if let previousAuthTime { detail["previous_auth_time"] = String(previousAuthTime.rawValue) }
        if let levelBefore { detail["acr_before"] = levelBefore.rawValue }
        if let maxAge = record.request.effectiveMaxAge(client: client)?.0 { detail["trigger_max_age"] = String(maxAge.rawValue) }
        if let action = record.request.action { detail["trigger_action"] = action }
        // Issue 10, item 7: the level requested and which rule demanded it.
        if let requirement = record.request.levelRequirement(client: client) {
            detail["trigger_acr"] = requirement.level.rawValue
            detail["trigger_acr_source"] = requirement.sources.map(\.rawValue).joined(separator: " ")
        }
        return detail
    }
}
