import Foundation
import Hummingbird
import HummingbirdAuth
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Authenticates the client at the token, introspection, revocation and PAR endpoints
/// (RFC 6749 2.3.1, OIDC Core 9): `client_secret_basic`, `client_secret_post`, `private_key_jwt`
/// (RFC 7523 2.2), or `none` for public clients.
struct ClientAuthenticator {
    let services: Services
    var store: any Store { services.store }

    /// A failed authentication, with the challenge to send when Basic was attempted (RFC 6749 5.2).
    struct Failure: Error {
        let error: OAuthError
        let usedBasic: Bool

        var response: Response {
            ProtocolResponse.error(error, challenge: usedBasic ? #"Basic realm="reverify""# : nil)
        }
    }

    /// A client and, when it authenticated with an assertion, what that assertion attests.
    struct Authenticated {
        let client: StoredClient
        let attestation: ClientAttestation?
    }

    func authenticate(
        _ request: Request, context: ReverifyRequestContext, form: RequestParameters, allowPublic: Bool = true
    ) async throws -> Result<StoredClient, Failure> {
        try await authenticateWithAttestation(request, context: context, form: form, allowPublic: allowPublic).map(\.client)
    }

    func authenticateWithAttestation(
        _ request: Request, context: ReverifyRequestContext, form: RequestParameters, allowPublic: Bool = true
    ) async throws -> Result<Authenticated, Failure> {
        let basic = request.headers.basic
        let usedBasic = basic != nil
        func fail(_ description: String) -> Result<Authenticated, Failure> {
            .failure(Failure(error: .invalidClient(description), usedBasic: usedBasic))
        }
        if request.headers[.authorization]?.hasPrefix("Basic ") == true && basic == nil {
            return fail("malformed Basic credentials")
        }
        for name in ["client_id", "client_secret", "client_assertion", "client_assertion_type"] where !form.isUsable(name) {
            return .failure(Failure(error: .invalidRequest("\(name) is repeated or malformed"), usedBasic: usedBasic))
        }
        let assertionType = form["client_assertion_type"]
        let assertion = form["client_assertion"]
        let methods = [basic != nil, form["client_secret"] != nil, assertionType != nil || assertion != nil]
        // RFC 6749 2.3: a client MUST NOT use more than one authentication method per request.
        if methods.filter({ $0 }).count > 1 {
            return .failure(Failure(error: .invalidRequest("use one client authentication method, not two"), usedBasic: usedBasic))
        }
        if assertionType != nil || assertion != nil {
            // RFC 7521 4.2: both parameters, or neither.
            guard let assertionType, let assertion else {
                return .failure(
                    Failure(error: .invalidRequest("client_assertion and client_assertion_type go together"), usedBasic: false))
            }
            return try await authenticate(assertion: assertion, type: assertionType, request: request, context: context, form: form)
        }
        let clientIDText: String
        let secret: String?
        if let basic {
            // RFC 6749 2.3.1: the id and secret are form-urlencoded before Basic encoding.
            guard let id = Self.percentDecoded(basic.username), let pw = Self.percentDecoded(basic.password) else {
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
            return .success(Authenticated(client: client, attestation: nil))
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
        return .success(Authenticated(client: client, attestation: nil))
    }

    /// `private_key_jwt` (RFC 7523 2.2): every refusal is `invalid_client`, audited with its precise reason.
    private func authenticate(
        assertion: String, type: String, request: Request, context: ReverifyRequestContext, form: RequestParameters
    ) async throws -> Result<Authenticated, Failure> {
        let outcome: Result<ClientAssertionVerifier.Verified, ClientAssertionVerifier.Refusal>
        if type == ClientAssertionRules.assertionType {
            outcome = try await ClientAssertionVerifier(services: services).verify(assertion, claimedClientID: form["client_id"])
        } else {
            outcome = .failure(.init(problem: .unsupportedAssertionType, client: nil))
        }
        switch outcome {
        case .success(let verified):
            return .success(Authenticated(client: verified.client, attestation: verified.attestation))
        case .failure(let refusal):
            try await services.store.appendAudit(
                AuditRecord(
                    at: services.time.now(), event: .clientAuthentication, outcome: .failure, clientId: refusal.client,
                    method: nil, reason: refusal.problem.rawValue, ipAddress: context.ipAddress, userAgent: request.userAgent,
                    detail: ["endpoint": request.uri.path, "auth_method": ClientAuthMethod.privateKeyJWT.rawValue]))
            return .failure(Failure(error: .invalidClient(refusal.problem.description), usedBasic: false))
        }
    }

    /// A Basic credential percent-decoded (RFC 6749 2.3.1); `nil` when malformed. Ours hold no `%`, and then there is
    /// nothing to decode: Foundation's decoding of the two was 2% of a refresh grant (issue 13 profile).
    static func percentDecoded(_ text: String) -> String? {
        text.utf8.contains(UInt8(ascii: "%")) ? text.removingPercentEncoding : text
    }
}
