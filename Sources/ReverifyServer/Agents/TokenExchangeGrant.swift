import Foundation
import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693, issue 12 item 3): a person's
/// access token becomes a short-lived access token for one action, narrowed in scope and audience, with the
/// caller as actor (`act`), the person's `auth_time`/`acr`/`amr`, and no refresh token. Refused with
/// `insufficient_user_authentication` when the person's verification is too old or too weak for the action.
struct TokenExchangeGrant: GrantHandler {
    let services: Services
    var grantType: String { TokenExchangeRules.grantType }

    func handle(_ form: RequestParameters, client: StoredClient, request: Request, context: ReverifyRequestContext)
        async throws -> Result<TokenMinter.Minted, OAuthError>
    {
        let now = services.time.now()
        var audit = AuditRecord(
            at: now, event: .tokenExchanged, outcome: .failure, clientId: client.record.id,
            ipAddress: context.ipAddress, userAgent: request.userAgent)
        func refuse(_ error: OAuthError, reason: String? = nil) async throws -> Result<TokenMinter.Minted, OAuthError> {
            audit.reason = reason ?? error.code.rawValue
            audit.detail["error_description"] = String(error.description.prefix(200))
            try await services.store.appendAudit(audit)
            return .failure(error)
        }
        // RFC 8693 2.1: the parameters, checked before anything is looked up. Nothing here changes state.
        let subjectToken: String
        let subject: AccessTokenValidator.Live
        let scopes: [String]
        let audience: String
        let authorization: ActionAuthorization
        let policy: ActionPolicy
        do {
            try TokenExchangeRules.checkActorTokenType(token: form["actor_token"], type: form["actor_token_type"])
            try TokenExchangeRules.checkTokenTypes(subject: form["subject_token_type"], requested: form["requested_token_type"])
            guard let token = form["subject_token"] else { throw OAuthError.invalidRequest("subject_token is required") }
            subjectToken = token
            let details = try Self.authorizationDetails(form["authorization_details"])
            (authorization, policy) = try TokenExchangeRules.action(details, registered: client.record.actions)
            audience = try TokenExchangeRules.audience(
                requested: [form["audience"], form["resource"]].compactMap { $0 }, allowed: client.record.allowedAudiences)
            guard let live = try await AccessTokenValidator(services: services).validate(subjectToken) else {
                // Expired, revoked, not ours, or not an access token (an ID token has typ JWT, not at+jwt).
                throw OAuthError.invalidGrant("the subject_token is not an active access token issued by this server")
            }
            subject = live
            scopes = try TokenExchangeRules.scopes(requested: form["scope"], subject: live.claims.scope)
        } catch let error as OAuthError {
            return try await refuse(error)
        }
        // RFC 8693 4.1: the actor is the caller, or the workload whose own assertion is the actor_token (when
        // the caller is another client, e.g. the backend an agent runs behind). That workload re-attests.
        var actor = client.record
        var attestation = context.clientAttestation
        if let actorToken = form["actor_token"] {
            switch try await ClientAssertionVerifier(services: services).verify(actorToken, claimedClientID: nil) {
            case .failure(let refusal):
                // RFC 8693 2.2.2: an unacceptable actor_token is invalid_request.
                return try await refuse(
                    .invalidRequest("actor_token: \(refusal.problem.description)"), reason: "actor_" + refusal.problem.rawValue)
            case .success(let verified):
                actor = verified.client.record
                attestation = verified.attestation
                audit.detail["actor_client_id"] = actor.id.rawValue
            }
        }
        audit.userId = subject.grant.userId
        audit.sessionId = subject.session.id
        // The trigger keys WebhookEventDerivation reads, so `token.exchanged` events carry the action and its rule.
        audit.detail["trigger_reason"] = "action"
        audit.detail["trigger_action"] = authorization.action
        audit.detail["trigger_max_age"] = String(policy.maxAge.rawValue)
        if let level = policy.minimumLevel { audit.detail["trigger_acr"] = level.rawValue }
        if policy.requiresFreshAttestation { audit.detail["trigger_attestation"] = "fresh" }
        audit.detail["auth_time"] = String(subject.session.authTime.rawValue)
        audit.detail["audience"] = audience
        audit.detail["auth_time_age"] = String((now - subject.session.authTime).rawValue)
        let (acr, amr) = subject.session.effectiveAssurance(at: now, lifetimes: services.configuration.levelLifetimes)
        audit.detail["acr"] = acr.rawValue
        audit.detail["amr"] = amr.map(\.rawValue).joined(separator: " ")
        if let attestation {
            audit.detail["attestation_age"] = String(attestation.age(at: now).rawValue)
        }
        // Issue 12 item 2: the workload re-attests (registered claims always, freshness when the action asks).
        if let problem = AttestationRules.problem(
            attestation, required: actor.requiredAttestation,
            freshRequired: policy.requiresFreshAttestation, now: now)
        {
            return try await refuse(.invalidClient(problem.description), reason: problem.rawValue)
        }
        // RFC 9470 3: the person's verification must satisfy the action's policy.
        if let error = TokenExchangeRules.userAuthenticationProblem(
            policy: policy, authTime: subject.session.authTime, levels: subject.session.levels,
            lifetimes: services.configuration.levelLifetimes, now: now)
        {
            return try await refuse(error)
        }
        let act: ActorClaim
        do {
            act = try TokenExchangeRules.actor(caller: actor.id, previous: subject.claims.act)
        } catch {
            return try await refuse(error)
        }
        let expiry = TokenExchangeRules.expiry(policy: policy, subjectExpiry: UnixTime(subject.claims.exp), now: now)
        let jti = IdentifierGenerator.make(prefix: "at")
        let claims = AccessTokenClaims(
            iss: services.configuration.issuer, exp: expiry.rawValue, aud: audience, sub: subject.claims.sub,
            client_id: client.record.id.rawValue, iat: now.rawValue, jti: jti,
            auth_time: subject.session.authTime.rawValue, acr: acr.rawValue, amr: amr.map(\.rawValue),
            sid: subject.session.id.rawValue, scope: scopes.joined(separator: " "), act: act,
            authorization_details: [authorization.detail])
        let token = try await services.keys.current().sign(claims, type: "at+jwt")
        audit.outcome = .success
        audit.reason = "exchanged"
        audit.detail["jti"] = jti
        if policy.oneShot { audit.detail["one_shot"] = "true" }
        audit.detail["subject_jti"] = subject.claims.jti
        try await services.store.recordTokenExchange(
            token: AccessTokenRecord(jti: jti, grantId: subject.grant.id, expiresAt: expiry, oneShot: policy.oneShot), audit: audit)
        return .success(
            TokenMinter.Minted(
                access_token: token, expires_in: (expiry - now).rawValue, id_token: nil, refresh_token: nil,
                scope: claims.scope, issued_token_type: TokenExchangeRules.accessTokenType))
    }

    /// RFC 9396 2: a JSON array of objects; anything else is `invalid_authorization_details`.
    static func authorizationDetails(_ text: String?) throws(OAuthError) -> [[String: JSONValue]]? {
        guard let text else { return nil }
        guard let details = try? JSONDecoder().decode([[String: JSONValue]].self, from: Data(text.utf8)) else {
            throw OAuthError(.invalidAuthorizationDetails, "authorization_details must be a JSON array of objects")
        }
        return details
    }
}
