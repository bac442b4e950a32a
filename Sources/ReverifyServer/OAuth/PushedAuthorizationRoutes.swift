import Hummingbird
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// `POST /oauth2/par` (RFC 9126): a client pushes its authorization parameters over an authenticated
/// back channel and gets a single-use `request_uri` for the browser. The parameters never pass through
/// the browser, so `max_age`, `prompt` and `acr_values` cannot be stripped or lowered on the way.
struct PushedAuthorizationRoutes {
    let services: Services

    /// RFC 9126 2.2: short-lived; the browser is expected to follow at once.
    static let lifetime: Seconds = 60

    func register(on router: Router<ReverifyRequestContext>) {
        router.post("/oauth2/par") { request, context in try await self.push(request, context: context) }
    }

    struct Pushed: Encodable {
        let request_uri: String
        let expires_in: Int64
    }

    func push(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let form = try await FormParameters.body(of: request, context: context)
        let client: StoredClient
        switch try await ClientAuthenticator(store: services.store).authenticate(request, form: form) {
        case .failure(let failure): return failure.response
        case .success(let authenticated): client = authenticated
        }
        // RFC 9126 2.1: a pushed request cannot itself refer to another one.
        if form["request_uri"] != nil { return ProtocolResponse.error(.invalidRequest("request_uri is not allowed here")) }
        // The authenticated client is the request's client; credentials are not authorization parameters.
        var pairs = form.usablePairs.filter { !["client_secret", "client_assertion", "client_assertion_type"].contains($0.0) }
        if let named = form["client_id"], named != client.record.id.rawValue {
            return ProtocolResponse.error(.invalidRequest("client_id does not match the authenticated client"))
        }
        if form["client_id"] == nil { pairs.append(("client_id", client.record.id.rawValue)) }
        var params = RequestParameters(pairs.map { ($0.0, Optional($0.1)) })
        if !form.duplicated.isEmpty || !form.malformed.isEmpty {
            return ProtocolResponse.error(.invalidRequest("a parameter is repeated, too long or badly encoded"))
        }
        do {
            if let object = params["request"] {
                let inside = try await RequestObjectVerifier(services: services).parameters(of: object, client: client)
                params = params.merging(requestObject: inside, objectOnly: client.record.requireSignedRequestObject)
            } else if client.record.requireSignedRequestObject {
                throw OAuthError.invalidRequest("this client must send its parameters in a signed request object")
            }
            // The same rules as the authorization endpoint, answered here as JSON (RFC 9126 2.3).
            let redirectURI: String
            do {
                redirectURI = try AuthorizeRequestValidator.trustedRedirectURI(params, client: client.registered)
            } catch {
                throw OAuthError.invalidRequest(error.message)
            }
            _ = try AuthorizeRequestValidator.validate(
                params, client: client.registered, redirectURI: redirectURI, now: services.time.now(),
                decodeClaims: ClaimsRequest.decodeJSON)
        } catch let error as OAuthError {
            try await services.store.appendAudit(
                AuditRecord(
                    at: services.time.now(), event: .authorizeDecision, outcome: .failure, clientId: client.record.id,
                    reason: error.code.rawValue, ipAddress: context.ipAddress, userAgent: request.userAgent,
                    detail: ["endpoint": "par", "error_description": String(error.description.prefix(200))]))
            return ProtocolResponse.error(error)
        }
        let now = services.time.now()
        let uri = AuthorizationParameters.requestURIPrefix + OpaqueToken.generate().value
        try await services.store.savePushedRequest(
            PushedRequestRecord(
                uriHash: TokenHash(of: uri).hex, clientId: client.record.id, parameters: params.usablePairs, createdAt: now,
                expiresAt: now + Self.lifetime))
        return try ProtocolResponse.json(Pushed(request_uri: uri, expires_in: Self.lifetime.rawValue), status: .created)
    }
}
