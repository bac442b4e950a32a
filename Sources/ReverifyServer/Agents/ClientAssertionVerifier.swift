import Foundation
import JWTKit
import ReverifyCore
import ReverifyStore

/// Authenticates a client by its `private_key_jwt` assertion (RFC 7523 2.2 and 3, OIDC Core 9): the
/// signature with the client's registered keys (`jwks` or `jwks_uri`), the claims by
/// ``ClientAssertionRules``, and the `jti` once.
struct ClientAssertionVerifier {
    let services: Services

    /// A verified assertion and the client it authenticates.
    struct Verified: Sendable {
        let client: StoredClient
        let claims: ClientAssertionClaims
        let attestation: ClientAttestation
    }

    /// A refusal, with the client when the assertion named a registered one (for the audit row).
    struct Refusal: Error {
        let problem: ClientAssertionProblem
        let client: ClientID?
    }

    /// The claims read before the signature is checked, leniently: a claim of the wrong JSON type reads as
    /// absent and is then refused by the rules by name.
    private struct Payload: JWTPayload {
        let iss: String?
        let sub: String?
        let aud: [String]
        let exp: Int64?
        let iat: Int64?
        let nbf: Int64?
        let jti: String?
        /// Every other claim with a string value: what the workload attests (e.g. `sw_version`).
        let attested: [String: String]

        private struct Key: CodingKey {
            let stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
            var intValue: Int? { nil }
            static let iss = Key(stringValue: "iss"), sub = Key(stringValue: "sub"), aud = Key(stringValue: "aud")
            static let exp = Key(stringValue: "exp"), iat = Key(stringValue: "iat"), nbf = Key(stringValue: "nbf")
            static let jti = Key(stringValue: "jti")
            static let registered: Set<String> = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"]
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            var attested: [String: String] = [:]
            for key in c.allKeys where !Key.registered.contains(key.stringValue) {
                if let value = try? c.decode(String.self, forKey: key) { attested[key.stringValue] = value }
            }
            self.attested = attested
            func text(_ key: Key) -> String? { try? c.decodeIfPresent(String.self, forKey: key) }
            func number(_ key: Key) -> Int64? {
                (try? c.decodeIfPresent(Double.self, forKey: key)).flatMap { $0.flatMap { Int64(exactly: $0.rounded(.down)) } }
            }
            iss = text(.iss)
            sub = text(.sub)
            jti = text(.jti)
            aud = text(.aud).map { [$0] } ?? ((try? c.decodeIfPresent([String].self, forKey: .aud)) ?? nil) ?? []
            exp = number(.exp)
            iat = number(.iat)
            nbf = number(.nbf)
        }

        func encode(to encoder: any Encoder) throws {}
        func verify(using algorithm: some JWTAlgorithm) async throws {}

        var claims: ClientAssertionClaims {
            ClientAssertionClaims(iss: iss, sub: sub, aud: aud, exp: exp, iat: iat, nbf: nbf, jti: jti)
        }
    }

    /// Verifies `assertion`; `claimedClientID` is the request's `client_id`, which must name the same client.
    func verify(_ assertion: String, claimedClientID: String?) async throws -> Result<Verified, Refusal> {
        func refuse(_ problem: ClientAssertionProblem, _ client: ClientID? = nil) -> Result<Verified, Refusal> {
            .failure(Refusal(problem: problem, client: client))
        }
        let bytes = [UInt8](assertion.utf8)
        guard bytes.count <= RequestParameters.maximumValueLength,
            let parsed = try? DefaultJWTParser().parse(bytes, as: Payload.self)
        else { return refuse(.malformed) }
        let unverified = parsed.payload.claims
        // RFC 7523 3: the client is the assertion's iss; a client_id sent alongside must agree (RFC 7521 4.2).
        guard let named = claimedClientID ?? unverified.iss else { return refuse(.malformed) }
        if let claimedClientID, let iss = unverified.iss, claimedClientID != iss { return refuse(.clientMismatch) }
        guard let clientID = ClientID(validating: named), let client = try await services.store.client(id: clientID) else {
            return refuse(.unknownClient)
        }
        // OIDC Registration 2: a client authenticates the way it registered, and no other.
        guard client.record.tokenEndpointAuthMethod == .privateKeyJWT else { return refuse(.methodNotRegistered, clientID) }
        guard let alg = parsed.header.alg, ClientAssertionRules.algorithms.contains(alg) else {
            return refuse(.algorithmNotAllowed, clientID)
        }
        let kid = parsed.header.kid
        let keys: ClientKeys
        switch await services.clientKeys.keys(of: client.record, kid: kid) {
        case .success(let found): keys = found
        case .failure(.unavailable): return refuse(.keysUnavailable, clientID)
        case .failure(.unregistered): return refuse(.noKeys, clientID)
        }
        // Never fall back to another key for a kid the client does not publish.
        guard keys.publishes(kid: kid) else { return refuse(.badSignature, clientID) }
        do {
            _ = try await keys.collection.verify(assertion, as: Payload.self, iteratingKeys: kid == nil)
        } catch {
            return refuse(.badSignature, clientID)
        }
        let now = services.time.now()
        let audiences: Set<String> = [services.configuration.issuer, services.configuration.url("/oauth2/token")]
        if let problem = ClientAssertionRules.problem(unverified, clientID: clientID, audiences: audiences, now: now) {
            return refuse(problem, clientID)
        }
        let fresh = try await services.store.recordClientAssertionJTI(
            client: clientID, jti: unverified.jti ?? "", expiresAt: UnixTime(unverified.exp ?? 0), at: now)
        guard fresh else { return refuse(.replayed, clientID) }
        let attestation = ClientAttestation(issuedAt: UnixTime(unverified.iat ?? 0), claims: parsed.payload.attested)
        return .success(Verified(client: client, claims: unverified, attestation: attestation))
    }
}
