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
    }

    func validate(_ token: String) async throws -> Live? {
        guard token.utf8.count <= 8192,
            let claims = try? await services.keys.current().verify(token, as: AccessTokenClaims.self),
            claims.iss == services.configuration.issuer,
            UnixTime(claims.exp) > services.time.now(),
            let record = try await services.store.accessToken(jti: claims.jti), record.revokedAt == nil,
            let grant = try await services.store.grant(id: record.grantId),
            let session = try await services.store.session(id: grant.sessionId),
            grant.isBacked(by: session, at: services.time.now())
        else { return nil }
        return Live(claims: claims, session: session, grant: grant, record: record)
    }
}
