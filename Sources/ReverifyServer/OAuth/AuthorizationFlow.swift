import Crypto
import Foundation
import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// What the authorization endpoint and the hosted pages share: finding the browser's session,
/// answering the client by redirect, and issuing codes.
struct AuthorizationFlow {
    let services: Services
    var cookies: BrowserCookies { BrowserCookies(configuration: services.configuration) }

    /// The browser's live session with an enabled user, if any.
    func currentSession(_ request: Request) async throws -> (SessionRecord, UserRecord)? {
        try await currentSession(request, riskOf: nil).map { ($0.0, $0.1) }
    }

    /// The browser's live session with an enabled user, if any, and with `riskOf` the risk history of this request's
    /// context, read in the same transaction (issue 13: a silent authorize reads once).
    func currentSession(_ request: Request, riskOf context: ReverifyRequestContext?) async throws
        -> (SessionRecord, UserRecord, RiskHistory?)?
    {
        guard let secret = cookies.sessionSecret(in: request), !secret.isEmpty, secret.utf8.count <= 256 else { return nil }
        let now = services.time.now()
        let hash = TokenHash(of: secret).hex
        let found: (SessionRecord, UserRecord, RiskHistory?)?
        if let context {
            found = try await services.store.sessionWithUser(
                secretHash: hash, risk: RiskAssessor(services: services).query(request, context: context))
        } else {
            found = try await services.store.sessionWithUser(secretHash: hash).map { ($0.0, $0.1, nil) }
        }
        guard let (session, user, risk) = found, session.isActive(at: now), !user.isDisabled else { return nil }
        RequestLogFacts.note(user: user.id)
        // Idle expiry slides with use; auth_time does not (OIDC Core 12.2).
        let idle = min(now + services.configuration.sessionIdleTimeout, session.expiresAt)
        if idle.rawValue - session.idleExpiresAt.rawValue > 60 {
            try await services.store.touchSession(id: session.id, at: now, idleExpiresAt: idle)
        }
        return (session, user, risk)
    }

    /// An error response to the client's redirect URI (RFC 6749 4.1.2.1 with RFC 9207 `iss`).
    func redirectError(_ error: OAuthError, to redirectURI: String, state: String?) -> Response {
        ProtocolResponse.redirect(
            to: redirectURI,
            parameters: [
                ("error", error.code.rawValue), ("error_description", error.description), ("state", state),
                ("iss", services.configuration.issuer),
            ])
    }

    /// Issues a single-use code bound to the client, redirect URI, PKCE challenge, nonce and session,
    /// then redirects back (RFC 6749 4.1.2, RFC 9207).
    ///
    /// - Parameter audit: the decision's audit row, written in the code's transaction (one write per request,
    ///   issue 13); only without `pending`.
    func issueCode(
        for request: AuthorizeRequest, client: RegisteredClient, session: SessionRecord,
        completing pending: AuthorizationRequestID? = nil, audit: AuditRecord? = nil
    ) async throws -> Response {
        let now = services.time.now()
        let code = OpaqueToken.generate(prefix: "rvc")
        var record = AuthorizationCodeRecord(
            codeHash: code.hash.hex, clientId: client.id, redirectUri: request.redirectURI, sessionId: session.id,
            userId: session.userId, scope: client.grantedScopes(requested: request.scopes).joined(separator: " "), nonce: request.nonce,
            codeChallenge: request.codeChallenge?.value, claims: request.claims, minAuthTime: request.minimumAuthTime(client: client),
            createdAt: now, expiresAt: now + services.configuration.authorizationCodeLifetime)
        record.action = request.action
        if let pending {
            guard try await services.store.completeAuthorizationRequest(id: pending, code: record, at: now) else {
                throw FlowError.alreadyCompleted
            }
        } else if let audit {
            try await services.store.insertCode(record, audit: audit)
        } else {
            try await services.store.insertCode(record)
        }
        return ProtocolResponse.redirect(
            to: request.redirectURI,
            parameters: [("code", code.value), ("state", request.state), ("iss", services.configuration.issuer)])
    }

    /// The CSRF token of a hosted flow: derived from the browser secret and the flow id, so only the
    /// browser that started the flow can produce it (OWASP CSRF "signed double-submit").
    static func csrfToken(browserSecret: String, purpose: String) -> String {
        Data(SHA256.hash(data: Data("reverify-csrf:\(purpose):\(browserSecret)".utf8))).base64URLEncodedString()
    }

    /// Verifies an `id_token_hint`: our signature and issuer; expiry deliberately ignored (OIDC Core 3.1.2.1).
    func hintedUser(_ idTokenHint: String?) async throws(OAuthError) -> (UserID, IDTokenClaims)? {
        guard let idTokenHint else { return nil }
        let claims: IDTokenClaims
        do {
            let verified = try await services.keys.current().verifyTyped(idTokenHint, as: IDTokenClaims.self)
            // An access token (typ at+jwt) carries the same sub, sid and auth_time but is not an ID token
            // (RFC 8725 3.11): it must not pin or sign out a user.
            guard verified.type == .idToken else {
                throw OAuthError.invalidRequest("id_token_hint is not an ID token (JOSE typ must be JWT)")
            }
            claims = verified.payload
        } catch let error as OAuthError {
            throw error
        } catch {
            throw .invalidRequest("id_token_hint is not a valid ID token issued by this server")
        }
        guard claims.iss == services.configuration.issuer, let user = UserID(validating: claims.sub) else {
            throw .invalidRequest("id_token_hint was not issued by this server")
        }
        return (user, claims)
    }

    func audit(
        _ event: AuditEvent, _ outcome: AuditOutcome, request: Request, context: ReverifyRequestContext,
        user: UserID? = nil, session: SessionID? = nil, client: ClientID? = nil, method: AuthMethod? = nil,
        reason: String? = nil, detail: [String: String] = [:]
    ) -> AuditRecord {
        // Every verification and authorize decision passes through here: count them (issue 15.1).
        switch (event, method, outcome) {
        case (.signIn, let method?, .success), (.signIn, let method?, .failure),
            (.reauthentication, let method?, .success), (.reauthentication, let method?, .failure):
            ReverifyMetrics.verification(method: method, outcome: outcome)
        case (.authorizeDecision, _, _):
            ReverifyMetrics.stepUpDecision(reason: reason ?? "unknown")
        default: break
        }
        return AuditRecord(
            at: services.time.now(), event: event, outcome: outcome, userId: user, sessionId: session,
            clientId: client, method: method, reason: reason, ipAddress: context.ipAddress,
            userAgent: request.userAgent, detail: detail)
    }
}

/// Failures of a hosted flow that end on a page, never a redirect.
enum FlowError: Error {
    case alreadyCompleted
}
