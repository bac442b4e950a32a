import Foundation
import Hummingbird
import HummingbirdAuth
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Authenticates the client at the token, introspection and revocation endpoints
/// (RFC 6749 2.3.1, OIDC Core 9): `client_secret_basic`, `client_secret_post`, or `none` for public clients.
struct ClientAuthenticator {
    let store: any Store

    /// A failed authentication, with the challenge to send when Basic was attempted (RFC 6749 5.2).
    struct Failure: Error {
        let error: OAuthError
        let usedBasic: Bool

        var response: Response {
            ProtocolResponse.error(error, challenge: usedBasic ? #"Basic realm="reverify""# : nil)
        }
    }

    func authenticate(_ request: Request, form: RequestParameters, allowPublic: Bool = true) async throws
        -> Result<StoredClient, Failure>
    {
        let basic = request.headers.basic
        let usedBasic = basic != nil
        func fail(_ description: String) -> Result<StoredClient, Failure> {
            .failure(Failure(error: .invalidClient(description), usedBasic: usedBasic))
        }
        if request.headers[.authorization]?.hasPrefix("Basic ") == true && basic == nil {
            return fail("malformed Basic credentials")
        }
        for name in ["client_id", "client_secret"] where !form.isUsable(name) {
            return .failure(Failure(error: .invalidRequest("\(name) is repeated or malformed"), usedBasic: usedBasic))
        }
        // RFC 6749 2.3: a client MUST NOT use more than one authentication method per request.
        if basic != nil && form["client_secret"] != nil {
            return .failure(Failure(error: .invalidRequest("use one client authentication method, not two"), usedBasic: true))
        }
        let clientIDText: String
        let secret: String?
        if let basic {
            // RFC 6749 2.3.1: the id and secret are form-urlencoded before Basic encoding.
            guard let id = basic.username.removingPercentEncoding, let pw = basic.password.removingPercentEncoding else {
                return fail("malformed Basic credentials")
            }
            if let formID = form["client_id"], formID != id { return fail("client_id does not match the credentials") }
            clientIDText = id
            secret = pw
        } else if let id = form["client_id"] {
            clientIDText = id
            secret = form["client_secret"]
        } else {
            return fail("client authentication is required")
        }
        guard let clientID = ClientID(validating: clientIDText), let client = try await store.client(id: clientID) else {
            return fail("unknown client")
        }
        RequestLogFacts.note(client: client.record.id)
        if client.record.tokenEndpointAuthMethod.isPublic {
            guard allowPublic else { return fail("public clients cannot use this endpoint") }
            guard secret == nil else { return fail("public clients have no secret") }
            return .success(client)
        }
        guard let secret, let stored = client.record.secretHash, TokenHash(hex: stored).matches(secret) else {
            return fail("client authentication failed")
        }
        // OIDC Registration 2 token_endpoint_auth_method: a client authenticates the way it registered, and no
        // other (RFC 9700 2.5 asks servers to bind a client to its method). Checked after the secret, so the
        // registered method is only told to the client itself.
        let used: ClientAuthMethod = basic != nil ? .clientSecretBasic : .clientSecretPost
        let registered = client.record.tokenEndpointAuthMethod
        guard used == registered else {
            return fail("this client is registered for \(registered.rawValue) and must not use \(used.rawValue)")
        }
        return .success(client)
    }
}
