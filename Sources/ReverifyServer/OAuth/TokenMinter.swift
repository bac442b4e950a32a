import Crypto
import Foundation
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// The token *strategy* (after fosite): how ID and access tokens are minted, separate from where
/// grants are stored. Every token takes `auth_time`, `amr` and `acr` from the session as it is now,
/// so a refresh never moves `auth_time` and a re-authentication shows in every later token.
struct TokenMinter {
    let services: Services

    struct Minted: Encodable {
        let access_token: String
        let token_type = "Bearer"
        let expires_in: Int64
        /// Absent from a token exchange response, which issues an access token only (RFC 8693 2.2.1).
        let id_token: String?
        let refresh_token: String?
        let scope: String
        /// RFC 8693 2.2.1: what `access_token` is, for a token exchange.
        var issued_token_type: String? = nil
    }

    /// New identifiers and secrets for a token response, made before the store transaction.
    struct Prepared {
        let issuance: TokenIssuance
        let refreshToken: OpaqueToken
        let jti: String
    }

    func prepare(now: UnixTime, grantID: GrantID? = nil) -> Prepared {
        let c = services.configuration
        let grantID = grantID ?? GrantID(rawValue: IdentifierGenerator.make(prefix: GrantID.prefix))
        let refresh = OpaqueToken.generate(prefix: "rvr")
        let jti = IdentifierGenerator.make(prefix: "at")
        return Prepared(
            issuance: TokenIssuance(
                grantID: grantID,
                refreshToken: RefreshTokenRecord(
                    tokenHash: refresh.hash.hex, grantId: grantID, parentHash: nil, createdAt: now,
                    expiresAt: now + c.refreshTokenLifetime),
                accessToken: AccessTokenRecord(jti: jti, grantId: grantID, expiresAt: now + c.accessTokenLifetime)),
            refreshToken: refresh, jti: jti)
    }

    /// - Parameter client: the authenticated client the grant belongs to; its registered
    ///   `id_token_signed_response_alg` (OIDC Registration 2) chooses the ID token's algorithm.
    func mint(
        prepared: Prepared, grant: GrantRecord, client: StoredClient, session: SessionRecord, nonce: String?, now: UnixTime
    ) async throws -> Minted {
        try await mint(
            prepared: prepared, grant: grant, client: client, session: session,
            user: try await services.store.user(id: grant.userId), nonce: nonce, now: now)
    }

    /// - Parameter user: the grant's user, when the caller read it already (a refresh reads it while rotating).
    func mint(
        prepared: Prepared, grant: GrantRecord, client: StoredClient, session: SessionRecord, user: UserRecord?,
        nonce: String?, now: UnixTime
    ) async throws -> Minted {
        let c = services.configuration
        let keys = try await services.keys.current()
        let scopes = Set(grant.scope.split(separator: " ").map(String.init))
        let profile = SelectedClaims(
            user: user, selected: ClaimsSelection.claims(for: .idToken, scopes: scopes, request: grant.claims))
        // A level that decayed since it was achieved is not claimed again (issue 10, item 3).
        let (acr, amr) = session.effectiveAssurance(at: now, lifetimes: c.levelLifetimes)
        // Issue 11 item 5: tokens for a named action may live shorter than the server's default.
        let actionLifetime = grant.action.flatMap { client.record.actions[$0]?.tokenLifetime }
        let accessLifetime = min(c.accessTokenLifetime, actionLifetime ?? c.accessTokenLifetime)
        let idLifetime = min(c.idTokenLifetime, actionLifetime ?? c.idTokenLifetime)
        let access = AccessTokenClaims(
            iss: c.issuer, exp: (now + accessLifetime).rawValue, aud: c.issuer, sub: grant.userId.rawValue,
            client_id: grant.clientId.rawValue, iat: now.rawValue, jti: prepared.jti,
            auth_time: session.authTime.rawValue, acr: acr.rawValue, amr: amr.map(\.rawValue),
            sid: session.id.rawValue, scope: grant.scope)
        let accessToken = try await keys.sign(access, type: "at+jwt")
        let id = IDTokenClaims(
            iss: c.issuer, sub: grant.userId.rawValue, aud: grant.clientId.rawValue, azp: grant.clientId.rawValue,
            exp: (now + idLifetime).rawValue, iat: now.rawValue, auth_time: session.authTime.rawValue,
            nonce: nonce, amr: amr.map(\.rawValue), acr: acr.rawValue, sid: session.id.rawValue,
            at_hash: Self.atHash(accessToken),
            email: profile.email, email_verified: profile.email_verified, name: profile.name,
            given_name: profile.given_name, family_name: profile.family_name,
            preferred_username: profile.preferred_username, updated_at: profile.updated_at)
        return Minted(
            access_token: accessToken, expires_in: accessLifetime.rawValue,
            id_token: try await keys.sign(id, type: "JWT", algorithm: client.record.idTokenSignedResponseAlg),
            refresh_token: prepared.issuance.refreshToken == nil ? nil : prepared.refreshToken.value,
            scope: grant.scope)
    }

    /// OIDC Core 3.3.2.11: base64url of the left half of SHA-256 of the access token (ES256 → SHA-256).
    /// The hash follows the ID token's `alg`; ES256 and RS256 both use SHA-256.
    static func atHash(_ accessToken: String) -> String {
        let digest = Array(SHA256.hash(data: Data(accessToken.utf8)))
        return Data(digest.prefix(digest.count / 2)).base64URLEncodedString()
    }
}
