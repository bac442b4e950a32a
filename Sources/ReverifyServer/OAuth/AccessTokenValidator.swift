import ReverifyCore
import ReverifyStore

/// Decides whether a presented JWT access token is live: our signature, our issuer, unexpired,
/// not revoked, its grant standing and backed by a live session unless it has offline access.
struct AccessTokenValidator {
    let services: Services

    struct Live {
        let claims: AccessTokenClaims
        let session: SessionRecord
        let grant: GrantRecord
        let record: AccessTokenRecord
        /// The session's user, read with the rest.
        let user: UserRecord?
    }

    func validate(_ token: String) async throws -> Live? {
        guard token.utf8.count <= 8192,
            let claims = try? await services.keys.current().verify(token, as: AccessTokenClaims.self),
            claims.iss == services.configuration.issuer,
            UnixTime(claims.exp) > services.time.now(),
            // One read for the token, its grant, session and user (issue 13).
            let chain = try await services.store.accessTokenChain(jti: claims.jti), chain.token.revokedAt == nil,
            chain.grant.isBacked(by: chain.session, at: services.time.now())
        else { return nil }
        return Live(claims: claims, session: chain.session, grant: chain.grant, record: chain.token, user: chain.user)
    }
}
