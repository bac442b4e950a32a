import Hummingbird
import HummingbirdAuth
import ReverifyCore
import ReverifyStore

/// `GET`/`POST /oauth2/userinfo` (OIDC Core 5.3) with a Bearer access token (RFC 6750 2.1).
struct UserInfoRoutes {
    let services: Services

    func register(on router: Router<ReverifyRequestContext>) {
        router.get("/oauth2/userinfo") { request, _ in try await self.userInfo(request) }
        router.post("/oauth2/userinfo") { request, _ in try await self.userInfo(request) }
    }

    struct Claims: Encodable {
        let sub: String
        let email: String?
        let email_verified: Bool?
        let name: String?
        let auth_time: Int64
        let amr: [String]
        let acr: String
    }

    func userInfo(_ request: Request) async throws -> Response {
        guard let bearer = request.headers.bearer else {
            return ProtocolResponse.error(OAuthError(.invalidToken, "a Bearer access token is required"), challenge: #"Bearer realm="reverify""#)
        }
        guard let live = try await AccessTokenValidator(services: services).validate(bearer.token),
            let user = try await services.store.user(id: live.session.userId), !user.isDisabled
        else {
            return ProtocolResponse.error(
                OAuthError(.invalidToken, "the access token is invalid, expired or revoked"),
                challenge: #"Bearer realm="reverify", error="invalid_token""#)
        }
        let scopes = Set(live.claims.scope.split(separator: " ").map(String.init))
        return try ProtocolResponse.json(
            Claims(
                sub: user.id.rawValue,
                email: scopes.contains("email") ? user.email : nil,
                email_verified: scopes.contains("email") ? user.emailVerified : nil,
                name: scopes.contains("profile") ? user.name : nil,
                // The token's own freshness (RFC 9470 6.2), never the session's later re-authentications.
                auth_time: live.claims.auth_time, amr: live.claims.amr, acr: live.claims.acr))
    }
}
