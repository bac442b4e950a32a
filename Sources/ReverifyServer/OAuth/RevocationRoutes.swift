import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `POST /oauth2/revoke` (RFC 7009). Revoking a refresh token revokes its whole grant (2.1).
struct RevocationRoutes {
    let services: Services

    func register(on router: Router<ReverifyRequestContext>) {
        router.post("/oauth2/revoke") { request, context in try await self.revoke(request, context: context) }
    }

    func revoke(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let form = try await FormParameters.body(of: request, context: context)
        let client: StoredClient
        switch try await ClientAuthenticator(services: services).authenticate(request, context: context, form: form) {
        case .failure(let failure): return failure.response
        case .success(let c): client = c
        }
        guard form.isUsable("token"), let token = form["token"] else {
            return ProtocolResponse.error(.invalidRequest("token is required"))
        }
        let now = services.time.now()
        if let refresh = try await services.store.refreshToken(hash: TokenHash(of: token).hex),
            let grant = try await services.store.grant(id: refresh.grantId), grant.clientId == client.record.id
        {
            try await services.store.revokeGrant(id: grant.id, at: now, reason: "revoked_by_client")
        } else if let live = try await AccessTokenValidator(services: services).validate(token),
            live.claims.client_id == client.record.id.rawValue
        {
            try await services.store.revokeAccessToken(jti: live.claims.jti, at: now)
        }
        // RFC 7009 2.2: 200 whether or not the token was valid; invalid tokens need no error. A token of
        // another client is left alone without saying so, so clients cannot probe each other's tokens.
        return Response(status: .ok, headers: [.cacheControl: "no-store"])
    }
}
