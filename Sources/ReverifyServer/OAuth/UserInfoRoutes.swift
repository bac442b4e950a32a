import Hummingbird
import HummingbirdAuth
import ReverifyCore
import ReverifyStore

/// `GET`/`POST /oauth2/userinfo` (OIDC Core 5.3) with a Bearer access token in the `Authorization` header
/// (RFC 6750 2.1) or, on `POST`, in a form body (RFC 6750 2.2).
struct UserInfoRoutes {
    let services: Services

    func register(on router: Router<ReverifyRequestContext>) {
        router.get("/oauth2/userinfo") { request, _ in try await self.userInfo(request, bodyToken: nil) }
        router.post("/oauth2/userinfo") { request, context in
            let isForm = request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
            let form = isForm ? try await FormParameters.body(of: request, context: context) : nil
            guard form?.isUsable("access_token") != false else {
                return ProtocolResponse.error(.invalidRequest("access_token is repeated or malformed"))
            }
            return try await self.userInfo(request, bodyToken: form?["access_token"])
        }
    }

    struct Claims: Encodable {
        let sub: String
        let email: String?
        let email_verified: Bool?
        let name: String?
        let given_name: String?
        let family_name: String?
        let preferred_username: String?
        let updated_at: Int64?
        let auth_time: Int64
        let amr: [String]
        let acr: String
    }

    func userInfo(_ request: Request, bodyToken: String?) async throws -> Response {
        let headerToken = request.headers.bearer?.token
        // RFC 6750 2: a client MUST NOT use more than one method to transmit the token.
        if headerToken != nil, bodyToken != nil {
            return ProtocolResponse.error(
                .invalidRequest("send the access token in the Authorization header or the body, not both"),
                challenge: #"Bearer realm="reverify", error="invalid_request""#)
        }
        guard let token = headerToken ?? bodyToken else {
            return ProtocolResponse.error(OAuthError(.invalidToken, "a Bearer access token is required"), challenge: #"Bearer realm="reverify""#)
        }
        guard let live = try await AccessTokenValidator(services: services).validate(token),
            // RFC 9068 4: the userinfo endpoint is a resource of the issuer; a token exchanged for another
            // audience (RFC 8693) is not for it.
            live.claims.aud == services.configuration.issuer,
            let user = live.user, !user.isDisabled
        else {
            return ProtocolResponse.error(
                OAuthError(.invalidToken, "the access token is invalid, expired or revoked"),
                challenge: #"Bearer realm="reverify", error="invalid_token""#)
        }
        let scopes = Set(live.claims.scope.split(separator: " ").map(String.init))
        let profile = SelectedClaims(
            user: user, selected: ClaimsSelection.claims(for: .userinfo, scopes: scopes, request: live.grant.claims))
        return try ProtocolResponse.json(
            Claims(
                sub: user.id.rawValue, email: profile.email, email_verified: profile.email_verified, name: profile.name,
                given_name: profile.given_name, family_name: profile.family_name,
                preferred_username: profile.preferred_username, updated_at: profile.updated_at,
                // The token's own freshness (RFC 9470 6.2), never the session's later re-authentications.
                auth_time: live.claims.auth_time, amr: live.claims.amr, acr: live.claims.acr))
    }
}
