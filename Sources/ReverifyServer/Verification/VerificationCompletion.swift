import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// The one place a verification completes, whatever the method (password, emailed link or code,
/// upstream SSO, and every method added later): it moves `auth_time`, `amr` and `acr`, replaces the
/// session secret, writes the audit row (and so the event) in the same transaction, and continues the
/// authorization exactly as if the session had been fresh.
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
        // DESIGN 5 "bound to the verifier": every verification issues a new session secret, so a copied
        // cookie never inherits the freshness that another browser earned (issue 9, item 1).
        let secret = OpaqueToken.generate()
        do {
            if let (session, _) = pending.session {
                var history = session.verifications
                let (amr, acr) = history.record(method, at: now, window: c.mfaWindow, extraAMR: extraAMR)
                try await services.store.recordReauthentication(
                    session: session.id, newSecretHash: secret.hash.hex, authTime: now, amr: amr, acr: acr,
                    verifications: history,
                    audit: flow.audit(
                        .reauthentication, .success, request: request, context: context, user: user.id,
                        session: session.id, client: pending.client.id, method: method,
                        reason: pending.record.reason.rawValue,
                        detail: Self.eventDetail(
                            pending.record, authTime: now, previousAuthTime: session.authTime, amr: amr, acr: acr
                        ).merging(extraDetail) { ours, _ in ours }))
                var response = try await flow.issueCode(
                    for: pending.record.request, client: pending.client, session: session, completing: pending.record.id)
                response.setCookie(flow.cookies.session(secret, expiresAt: session.expiresAt, now: now))
                return response
            }
            var history = VerificationHistory()
            let (amr, acr) = history.record(method, at: now, window: c.mfaWindow, extraAMR: extraAMR)
            let session = SessionRecord(
                id: SessionID(rawValue: IdentifierGenerator.make(prefix: SessionID.prefix)), secretHash: secret.hash.hex,
                userId: user.id, createdAt: now, authTime: now, amr: amr, acr: acr, verifications: history,
                ipAddress: context.ipAddress, userAgent: request.userAgent,
                deviceId: TokenHash(of: pending.browserSecret).hex, lastSeenAt: now,
                idleExpiresAt: now + c.sessionIdleTimeout, expiresAt: now + c.sessionAbsoluteLifetime)
            try await services.store.createSession(
                session,
                audit: flow.audit(
                    .signIn, .success, request: request, context: context, user: user.id, session: session.id,
                    client: pending.client.id, method: method, reason: pending.record.reason.rawValue,
                    detail: Self.eventDetail(pending.record, authTime: now, previousAuthTime: nil, amr: amr, acr: acr)
                        .merging(extraDetail) { ours, _ in ours }))
            var response = try await flow.issueCode(
                for: pending.record.request, client: pending.client, session: session, completing: pending.record.id)
            response.setCookie(flow.cookies.session(secret, expiresAt: session.expiresAt, now: now))
            return response
        } catch FlowError.alreadyCompleted {
            return services.pages.error("This request was already completed. Return to the application.", status: .conflict)
        }
    }

    /// What audit (and the events derived from it) records about a successful verification: the new and
    /// previous `auth_time`, the resulting `amr`/`acr`, and what triggered it (DESIGN 3 `trigger`).
    static func eventDetail(
        _ record: AuthorizationRequestRecord, authTime: UnixTime, previousAuthTime: UnixTime?, amr: [AMR], acr: ACR
    ) -> [String: String] {
        var detail = [
            "auth_time": String(authTime.rawValue), "amr": amr.map(\.rawValue).joined(separator: " "), "acr": acr.rawValue,
            "trigger_reason": record.reason.rawValue,
        ]
        if let previousAuthTime { detail["previous_auth_time"] = String(previousAuthTime.rawValue) }
        if let maxAge = record.request.maxAge { detail["trigger_max_age"] = String(maxAge.rawValue) }
        if let action = record.request.action { detail["trigger_action"] = action }
        return detail
    }
}
