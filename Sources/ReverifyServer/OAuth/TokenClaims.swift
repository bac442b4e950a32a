import JWTKit
import ReverifyCore
import ReverifyStore

/// ID token claims (OIDC Core 2). `auth_time` is always present: Reverify's whole point.
struct IDTokenClaims: JWTPayload, Equatable {
    let iss: String
    let sub: String
    let aud: String
    let azp: String?
    let exp: Int64
    let iat: Int64
    let auth_time: Int64
    let nonce: String?
    let amr: [String]
    let acr: String
    let sid: String
    let at_hash: String?
    let email: String?
    let email_verified: Bool?
    let name: String?
    let given_name: String?
    let family_name: String?
    let preferred_username: String?
    let updated_at: Int64?

    /// Signature only: expiry is checked by the caller where it matters (an `id_token_hint` may be expired,
    /// OIDC Core 3.1.2.1).
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// JWT access token claims (RFC 9068 2.2), plus the freshness claims a resource server needs (RFC 9470).
struct AccessTokenClaims: JWTPayload, Equatable {
    let iss: String
    let exp: Int64
    let aud: String
    let sub: String
    let client_id: String
    let iat: Int64
    let jti: String
    let auth_time: Int64
    let acr: String
    let amr: [String]
    let sid: String
    let scope: String
    /// RFC 8693 4.1: who acts for `sub`, in a token from a token exchange.
    var act: ActorClaim? = nil
    /// RFC 9396: the one action an exchanged token is bound to.
    var authorization_details: [[String: JSONValue]]? = nil

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// The standard claims a token or the userinfo response carries, as `ClaimsSelection` chose them.
struct SelectedClaims {
    var email: String?
    var email_verified: Bool?
    var name: String?
    var given_name: String?
    var family_name: String?
    var preferred_username: String?
    var updated_at: Int64?

    init(user: UserRecord?, selected: Set<StandardClaim>) {
        guard let user else { return }
        for (name, value) in user.claims(selected) {
            switch (StandardClaim(rawValue: name), value) {
            case (.email?, .string(let v)): email = v
            case (.emailVerified?, .bool(let v)): email_verified = v
            case (.name?, .string(let v)): self.name = v
            case (.givenName?, .string(let v)): given_name = v
            case (.familyName?, .string(let v)): family_name = v
            case (.preferredUsername?, .string(let v)): preferred_username = v
            case (.updatedAt?, .number(let v)): updated_at = v
            default: break
            }
        }
    }
}
