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
        /// A token from token exchange: its audience, actor (RFC 8693 4.1) and action (RFC 9396 9.1).
        var aud: String? = nil
        var act: ActorClaim? = nil
        var authorization_details: [[String: JSONValue]]? = nil
    }

    func introspect(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let form = try await FormParameters.body(of: request, context: context)
        // RFC 7662 2.1: the endpoint requires authorization; only confidential clients may introspect.
        let caller: ClientRecord
        switch try await ClientAuthenticator(services: services).authenticate(request, context: context, form: form, allowPublic: false) {
        case .failure(let failure): return failure.response
        case .success(let client): caller = client.record
        }
        guard form.isUsable("token"), let token = form["token"] else {
            return ProtocolResponse.error(.invalidRequest("token is required"))
        }
        let inactive = try ProtocolResponse.json(["active": false])
        // A resource server serves the issuer's audience, plus those it was registered for (`--audience`), which
        // exchanged tokens name (RFC 8693 2.1).
        let served = [services.configuration.issuer] + caller.allowedAudiences
        func allowed(_ kind: IntrospectionPolicy.TokenKind, client: String, audience: [String]) -> Bool {
            served.contains { servedAudience in
                IntrospectionPolicy.allows(
                    caller: caller.id, callerIsResourceServer: caller.resourceServer, tokenClient: ClientID(rawValue: client),
                    kind: kind, audience: audience, servedAudience: servedAudience)
            }
        }
        if let live = try await AccessTokenValidator(services: services).validate(token) {
            let c = live.claims
            guard allowed(.accessToken, client: c.client_id, audience: [c.aud]) else { return inactive }
            // Issue 12 item 5: a one-shot token answers active once; that answer consumes it.
            if live.record.oneShot {
                guard try await services.store.consumeOneShotAccessToken(jti: c.jti, at: services.time.now()) else {
                    return inactive
                }
            }
            return try ProtocolResponse.json(
                Active(
                    token_type: "Bearer", iss: c.iss, sub: c.sub, client_id: c.client_id, scope: c.scope, exp: c.exp,
                    // RFC 9470 6.2: the authentication *this token* was obtained with, not the session's latest.
                    iat: c.iat, auth_time: c.auth_time, acr: c.acr, amr: c.amr, sid: c.sid,
                    aud: c.act == nil ? nil : c.aud, act: c.act, authorization_details: c.authorization_details))
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
