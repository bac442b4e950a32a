import Foundation
import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `grant_type=urn:openid:params:grant-type:ciba` (OpenID CIBA Core 10.1, poll mode; issue 12 item 4): the
/// agent polls with its `auth_req_id` and gets `authorization_pending`, `slow_down`, `access_denied`,
/// `expired_token`, or — once — an access token bound to the approved `authorization_details`, with the agent
/// as `act` and the approving verification's `auth_time`/`acr`/`amr`, short-lived per action, no refresh
/// token, and an ID token when `openid` was asked for.
struct CIBAGrant: GrantHandler {
    let services: Services
    var grantType: String { BackchannelRequestRules.grantType }

    func handle(_ form: RequestParameters, client: StoredClient, request: Request, context: ReverifyRequestContext)
        async throws -> Result<TokenMinter.Minted, OAuthError>
    {
        let unknown = OAuthError.invalidGrant("auth_req_id is unknown, already used, or was issued to another client")
        guard let authReqID = form["auth_req_id"] else { return .failure(.invalidRequest("auth_req_id is required")) }
        guard authReqID.utf8.count <= 128 else { return .failure(unknown) }
        let hash = TokenHash(of: authReqID).hex
        // Read first for the action's token policy; the poll itself decides atomically below.
        guard let found = try await services.store.approval(requestHash: hash), found.clientId == client.record.id else {
            return .failure(unknown)
        }
        let now = services.time.now()
        let policy = client.record.actions[found.action] ?? ActionPolicy(maxAge: found.maxAge)
        let lifetime = min(TokenExchangeRules.lifetime(for: policy), services.configuration.accessTokenLifetime)
        let jti = IdentifierGenerator.make(prefix: "at")
        var audit = AuditRecord(
            at: now, event: .approvalRedeemed, outcome: .success, clientId: client.record.id, reason: "tokens_issued",
            ipAddress: context.ipAddress, userAgent: request.userAgent)
        audit.detail["trigger_action"] = found.action
        if policy.oneShot { audit.detail["one_shot"] = "true" }
        let issuance = ApprovalIssuance(
            grantID: GrantID(rawValue: IdentifierGenerator.make(prefix: GrantID.prefix)), jti: jti, expiresAt: now + lifetime,
            oneShot: policy.oneShot, audit: audit)
        switch try await services.store.pollApproval(requestHash: hash, client: client.record.id, at: now, issuance: issuance) {
        case .unknown:
            return .failure(unknown)
        case .answered(let outcome, let approval):
            if let error = outcome.error { return .failure(error) }
            return .success(try await mint(approval, client: client, jti: jti, lifetime: lifetime, now: now))
        }
    }

    /// The tokens of a redeemed approval: the approving verification, not the session as it is now, is what
    /// they vouch for.
    private func mint(_ approval: ApprovalRecord, client: StoredClient, jti: String, lifetime: Seconds, now: UnixTime)
        async throws -> TokenMinter.Minted
    {
        guard let user = approval.userId, let session = approval.sessionId, let authTime = approval.authTime,
            let acr = approval.acr
        else { throw HTTPError(.internalServerError) }
        let c = services.configuration
        let keys = try await services.keys.current()
        let amr = (approval.amr ?? []).map(\.rawValue)
        let access = AccessTokenClaims(
            iss: c.issuer, exp: (now + lifetime).rawValue, aud: c.issuer, sub: user.rawValue,
            client_id: client.record.id.rawValue, iat: now.rawValue, jti: jti, auth_time: authTime.rawValue, acr: acr.rawValue,
            amr: amr, sid: session.rawValue, scope: approval.scope,
            // RFC 8693 4.1: the agent acts for the person who approved.
            act: ActorClaim.delegating(to: client.record.id.rawValue, after: nil),
            authorization_details: [approval.authorizationDetails])
        let accessToken = try await keys.sign(access, type: "at+jwt")
        var idToken: String?
        let scopes = Set(approval.scope.split(separator: " ").map(String.init))
        if scopes.contains("openid") {
            // CIBA Core 10.1.1: an ID token for the person who approved; `auth_time` is the approving verification.
            let profile = SelectedClaims(
                user: try await services.store.user(id: user),
                selected: ClaimsSelection.claims(for: .idToken, scopes: scopes, request: nil))
            let id = IDTokenClaims(
                iss: c.issuer, sub: user.rawValue, aud: client.record.id.rawValue, azp: client.record.id.rawValue,
                exp: (now + min(lifetime, c.idTokenLifetime)).rawValue, iat: now.rawValue, auth_time: authTime.rawValue,
                nonce: nil, amr: amr, acr: acr.rawValue, sid: session.rawValue, at_hash: TokenMinter.atHash(accessToken),
                email: profile.email, email_verified: profile.email_verified, name: profile.name,
                given_name: profile.given_name, family_name: profile.family_name,
                preferred_username: profile.preferred_username, updated_at: profile.updated_at)
            idToken = try await keys.sign(id, type: "JWT", algorithm: client.record.idTokenSignedResponseAlg)
        }
        return TokenMinter.Minted(
            access_token: accessToken, expires_in: lifetime.rawValue, id_token: idToken, refresh_token: nil, scope: approval.scope)
    }
}
