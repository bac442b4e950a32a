import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `POST /oauth2/introspect` (RFC 7662), for resource servers that demand freshness per RFC 9470:
/// the response carries `auth_time`, `acr` and `amr`.
struct IntrospectionRoutes {
    let services: Services

    func register(on router: Router<ReverifyRequestContext>) {
        router.post("/oauth2/introspect") { request, context in try await self.introspect(request, context: context) }
    }

    struct Active: Encodable {
        let active = true
        let token_type: String
        let iss: String
        let sub: String
        let client_id: String
        let scope: String
        let exp: Int64
        let iat: Int64?
        let auth_time: Int64
        let acr: String
        let amr: [String]
        let sid: String
    }

    func introspect(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let form = try await FormParameters.body(of: request, context: context)
        // RFC 7662 2.1: the endpoint requires authorization; only confidential clients may introspect.
        let caller: ClientRecord
        switch try await ClientAuthenticator(store: services.store).authenticate(request, form: form, allowPublic: false) {
        case .failure(let failure): return failure.response
        case .success(let client): caller = client.record
        }
        guard form.isUsable("token"), let token = form["token"] else {
            return ProtocolResponse.error(.invalidRequest("token is required"))
        }
        let inactive = try ProtocolResponse.json(["active": false])
        func allowed(_ kind: IntrospectionPolicy.TokenKind, client: String, audience: [String]) -> Bool {
            IntrospectionPolicy.allows(
                caller: caller.id, callerIsResourceServer: caller.resourceServer, tokenClient: ClientID(rawValue: client),
                kind: kind, audience: audience, servedAudience: services.configuration.issuer)
        }
        if let live = try await AccessTokenValidator(services: services).validate(token) {
            let c = live.claims
            guard allowed(.accessToken, client: c.client_id, audience: [c.aud]) else { return inactive }
            return try ProtocolResponse.json(
                Active(
                    token_type: "Bearer", iss: c.iss, sub: c.sub, client_id: c.client_id, scope: c.scope, exp: c.exp,
                    // RFC 9470 6.2: the authentication *this token* was obtained with, not the session's latest.
                    iat: c.iat, auth_time: c.auth_time, acr: c.acr, amr: c.amr, sid: c.sid))
        }
        let now = services.time.now()
        if let refresh = try await services.store.refreshToken(hash: TokenHash(of: token).hex), refresh.usedAt == nil,
            now < refresh.expiresAt,
            let grant = try await services.store.grant(id: refresh.grantId),
            let session = try await services.store.session(id: grant.sessionId), grant.isBacked(by: session, at: now)
        {
            guard allowed(.refreshToken, client: grant.clientId.rawValue, audience: []) else { return inactive }
            let (acr, amr) = session.effectiveAssurance(at: now, lifetimes: services.configuration.levelLifetimes)
            return try ProtocolResponse.json(
                Active(
                    token_type: "refresh_token", iss: services.configuration.issuer, sub: grant.userId.rawValue,
                    client_id: grant.clientId.rawValue, scope: grant.scope, exp: refresh.expiresAt.rawValue,
                    iat: refresh.createdAt.rawValue, auth_time: session.authTime.rawValue, acr: acr.rawValue,
                    amr: amr.map(\.rawValue), sid: session.id.rawValue))
        }
        // RFC 7662 2.2: anything else is simply inactive, with no further detail.
        return inactive
    }
}
