import Hummingbird
import HummingbirdAuth
import ReverifyCore
import ReverifyStore

/// The demo's protected API, mounted at `/demo/api/…` by `reverify serve --demo`: a resource server that
/// accepts Reverify's JWT access tokens (signature against Reverify's own keys, RFC 9068) and demands a
/// recent, strong enough authentication per RFC 9470, answering with a step-up challenge otherwise.
struct DemoResourceServer {
    let services: Services

    /// Billing details need a second factor verified within the last five minutes.
    static let billingRequirement = UserAuthenticationRequirement(level: .multiFactor, maxAge: 300)
    static let billingPath = "/demo/api/billing"

    func register(on router: Router<ReverifyRequestContext>) {
        router.get(RouterPath(stringLiteral: Self.billingPath)) { request, _ in try await self.billing(request) }
    }

    /// What the API answers once the token is good enough; `acr` and `auth_time` echo the token's claims.
    struct Billing: Encodable {
        let plan: String
        let card: String
        let sub: String
        let acr: String
        let auth_time: Int64
    }

    func billing(_ request: Request) async throws -> Response {
        // RFC 6750 3.1: no credentials, no error code.
        guard let bearer = request.headers.bearer else { return Self.unauthorized(BearerChallenge()) }
        // RFC 9068 4: our signature, `iss`, `exp`, and a token we issued and did not revoke (every access
        // token Reverify issues has the issuer as its audience, so this API accepts any of them).
        guard let live = try await AccessTokenValidator(services: services).validate(bearer.token) else {
            return Self.unauthorized(
                BearerChallenge(error: .invalidToken, errorDescription: "the access token is invalid, expired or revoked"))
        }
        let claims = live.claims
        // RFC 9470 3: a token whose acr or auth_time falls short gets a challenge naming what would do.
        if let challenge = Self.billingRequirement.challenge(
            acr: claims.acr, authTime: UnixTime(claims.auth_time), now: services.time.now())
        {
            return Self.unauthorized(challenge)
        }
        return try ProtocolResponse.json(
            Billing(plan: "Acme Notes Pro", card: "•••• 4242", sub: claims.sub, acr: claims.acr, auth_time: claims.auth_time))
    }

    static func unauthorized(_ challenge: BearerChallenge) -> Response {
        var body: [String: String] = [:]
        if let error = challenge.error { body["error"] = error.rawValue }
        if let description = challenge.errorDescription { body["error_description"] = description }
        var response = (try? ProtocolResponse.json(body, status: .unauthorized)) ?? Response(status: .unauthorized)
        response.headers[.wwwAuthenticate] = challenge.headerValue
        return response
    }
}
