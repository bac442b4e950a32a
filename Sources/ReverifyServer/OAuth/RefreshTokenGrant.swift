import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `grant_type=refresh_token` (RFC 6749 6) with rotation: every use returns a new refresh token and
/// presenting a rotated-away one revokes the family (RFC 9700 4.14.2).
struct RefreshTokenGrant: GrantHandler {
    let services: Services
    let grantType = "refresh_token"

    func handle(_ form: RequestParameters, client: StoredClient, request: Request, context: ReverifyRequestContext)
        async throws -> Result<TokenMinter.Minted, OAuthError>
    {
        guard let token = form["refresh_token"] else { return .failure(.invalidRequest("refresh_token is required")) }
        let now = services.time.now()
        let minter = TokenMinter(services: services)
        let prepared = minter.prepare(now: now)
        let clientID = client.record.id
        let requestedScopes = Set((form["scope"] ?? "").split(separator: " ").map(String.init))

        let reuseAudit = AuditRecord(
            at: now, event: .refreshTokenReuse, outcome: .failure, clientId: clientID, reason: "refresh_reuse",
            ipAddress: context.ipAddress, userAgent: request.userAgent)
        let outcome = try await services.store.rotateRefreshToken(
            hash: TokenHash(of: token).hex, at: now, issuance: prepared.issuance, reuseAudit: reuseAudit,
            reuseGrace: services.configuration.refreshReuseGrace
        ) { grant in
            guard grant.clientId == clientID else { return .invalidGrant("the refresh token was issued to another client") }
            // RFC 6749 6: the requested scope MUST NOT include any scope not originally granted.
            let granted = Set(grant.scope.split(separator: " ").map(String.init))
            // offline_access is the server's to grant (OIDC Core 11); asking again for it is not an error.
            guard requestedScopes.subtracting([Scope.offlineAccess]).isSubset(of: granted) else {
                return OAuthError(.invalidScope, "scope exceeds what was originally granted")
            }
            return nil
        }
        switch outcome {
        case .unknown, .expired:
            return .failure(.invalidGrant("the refresh token is invalid or expired"))
        case .reused:
            ReverifyMetrics.refreshTokenReuse()
            // Audited inside the revoking transaction (see `reuseAudit`).
            return .failure(.invalidGrant("the refresh token was already used; the grant is revoked"))
        case .rejected(let error):
            return .failure(error)
        case .rotated(let grant, let session, let user):
            // OIDC Core 12.2: the new ID token keeps the session's auth_time; refresh never moves it.
            return .success(try await minter.mint(
                prepared: prepared, grant: grant, client: client, session: session, user: user, nonce: nil, now: now))
        }
    }
}
