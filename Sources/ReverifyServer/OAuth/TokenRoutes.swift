import Hummingbird
import ReverifyCore
import ReverifyStore

/// `POST /oauth2/token` (RFC 6749 3.2): authenticate the client, then dispatch on `grant_type`.
struct TokenRoutes {
    let services: Services
    let handlers: [String: any GrantHandler]

    init(services: Services) {
        self.services = services
        let all: [any GrantHandler] = [
            AuthorizationCodeGrant(services: services), RefreshTokenGrant(services: services),
            TokenExchangeGrant(services: services), CIBAGrant(services: services),
        ]
        self.handlers = Dictionary(uniqueKeysWithValues: all.map { ($0.grantType, $0) })
    }

    func register(on router: Router<ReverifyRequestContext>) {
        router.post("/oauth2/token") { request, context in
            try await self.token(request, context: context)
        }
    }

    func token(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let form: RequestParameters
        switch try await FormParameters.protocolBody(of: request, context: context) {
        case .failure(let error): return ProtocolResponse.error(error)
        case .success(let parameters): form = parameters
        }
        let client: StoredClient
        var context = context
        switch try await ClientAuthenticator(services: services).authenticateWithAttestation(request, context: context, form: form) {
        case .failure(let failure): return failure.response
        case .success(let authenticated):
            client = authenticated.client
            context.clientAttestation = authenticated.attestation
        }
        guard let grantType = form["grant_type"] else {
            return ProtocolResponse.error(.invalidRequest("grant_type is required"))
        }
        guard let handler = handlers[grantType] else {
            return ProtocolResponse.error(OAuthError(.unsupportedGrantType, "grant_type '\(grantType.prefix(40))' is not supported"))
        }
        switch try await handler.handle(form, client: client, request: request, context: context) {
        case .success(let minted):
            ReverifyMetrics.tokensIssued(grantType: handler.grantType)
            return try ProtocolResponse.json(minted)
        case .failure(let error): return ProtocolResponse.error(error)
        }
    }
}
