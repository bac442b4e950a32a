import Foundation
import Hummingbird
import ReverifyCore

/// `/.well-known/openid-configuration` (OIDC Discovery 1.0 section 3), `/.well-known/jwks.json` and `/healthz`.
struct DiscoveryRoutes {
    let services: Services

    func register(on router: Router<ReverifyRequestContext>) {
        // The document depends on the configuration only: encoded once, served as bytes (issue 13).
        let document = (try? ProtocolResponse.jsonEncoder.encode(self.document)).map { ByteBuffer(bytes: $0) }
        router.get("/.well-known/openid-configuration") { _, _ in
            guard let document else { throw HTTPError(.internalServerError) }
            return ProtocolResponse.json(bytes: document, cacheable: true)
        }
        router.get("/.well-known/jwks.json") { _, _ in
            ProtocolResponse.json(bytes: try await self.services.keys.jwks(), cacheable: true)
        }
        router.get("/healthz") { _, _ in
            _ = try await self.services.store.publishedSigningKeys()
            return try ProtocolResponse.json(["status": "ok"])
        }
    }

    /// The provider metadata. Field names are the registered ones, hence the snake-case keys.
    struct Document: Encodable {
        let issuer: String
        let authorization_endpoint: String
        let token_endpoint: String
        let userinfo_endpoint: String
        let jwks_uri: String
        let introspection_endpoint: String
        let revocation_endpoint: String
        let end_session_endpoint: String
        let scopes_supported = ["openid", "profile", "email", "offline_access"]
        let response_types_supported = ["code"]
        let response_modes_supported = ["query"]
        let grant_types_supported = [
            "authorization_code", "refresh_token", TokenExchangeRules.grantType, BackchannelRequestRules.grantType,
        ]
        /// OpenID CIBA Core 4: poll mode only, no user codes.
        let backchannel_authentication_endpoint: String
        let backchannel_token_delivery_modes_supported = ["poll"]
        let backchannel_user_code_parameter_supported = false
        /// RFC 9396 10: the one type token exchange and backchannel authentication accept.
        let authorization_details_types_supported = [ActionAuthorization.type]
        let subject_types_supported = ["public"]
        let id_token_signing_alg_values_supported = SigningAlgorithm.allCases.map(\.rawValue)
        let token_endpoint_auth_methods_supported = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
        /// OIDC Discovery 3: required when private_key_jwt is offered; asymmetric algorithms only.
        let token_endpoint_auth_signing_alg_values_supported = ClientAssertionRules.algorithms.sorted()
        let introspection_endpoint_auth_methods_supported = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
        let introspection_endpoint_auth_signing_alg_values_supported = ClientAssertionRules.algorithms.sorted()
        let revocation_endpoint_auth_methods_supported = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
        let revocation_endpoint_auth_signing_alg_values_supported = ClientAssertionRules.algorithms.sorted()
        let code_challenge_methods_supported = ["S256"]
        let claims_supported = [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "sid", "azp", "at_hash",
            "email", "email_verified", "name", "given_name", "family_name", "preferred_username", "updated_at",
        ]
        let claims_parameter_supported = true
        let request_parameter_supported = true
        let request_object_signing_alg_values_supported = RequestObjectRules.algorithms.sorted()
        /// Only `request_uri`s from the pushed authorization request endpoint, never fetched from elsewhere.
        let request_uri_parameter_supported = false
        let pushed_authorization_request_endpoint: String
        let require_pushed_authorization_requests = false
        let prompt_values_supported = ["none", "login", "consent", "select_account"]
        let acr_values_supported = ACR.allCases.map(\.rawValue)
        let authorization_response_iss_parameter_supported = true
    }

    var document: Document {
        let c = services.configuration
        return Document(
            issuer: c.issuer,
            authorization_endpoint: c.url("/oauth2/authorize"),
            token_endpoint: c.url("/oauth2/token"),
            userinfo_endpoint: c.url("/oauth2/userinfo"),
            jwks_uri: c.url("/.well-known/jwks.json"),
            introspection_endpoint: c.url("/oauth2/introspect"),
            revocation_endpoint: c.url("/oauth2/revoke"),
            end_session_endpoint: c.url("/oauth2/logout"),
            backchannel_authentication_endpoint: c.url(BackchannelAuthenticationRoutes.path),
            pushed_authorization_request_endpoint: c.url("/oauth2/par"))
    }
}
