import Foundation
import JWTKit
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Verifies signed request objects (OIDC Core 6.1, RFC 9101) with the client's registered keys and
/// returns the authorization parameters they carry.
struct RequestObjectVerifier {
    let services: Services

    /// Signature-only payload: the claims are read afterwards, because a request object carries arbitrary
    /// authorization parameters (strings, numbers, the `claims` object).
    private struct Signed: JWTPayload {
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// The parameters inside `object`, or `invalid_request_object` saying why it cannot be used.
    func parameters(of object: String, client: StoredClient) async throws(OAuthError) -> [String: String] {
        guard object.utf8.count <= RequestParameters.maximumValueLength, let jwt = UnverifiedJWT(object),
            let payload = jwt.payloadObject
        else { throw .invalidRequestObject("the request object is not a signed JWT") }
        let header = jwt.header
        // RFC 9101 10.1: unsigned (alg=none) and symmetric objects are refused.
        guard let alg = header["alg"] as? String, RequestObjectRules.algorithms.contains(alg) else {
            throw .invalidRequestObject("the request object must be signed with ES256, EdDSA or RS256")
        }
        // The client's keys, registered inline or published at its jwks_uri (as for private_key_jwt).
        let kid = header["kid"] as? String
        let keys: ClientKeys
        switch await services.clientKeys.keys(of: client.record, kid: kid) {
        case .success(let found): keys = found
        case .failure(.unavailable): throw .invalidRequestObject("the client's published keys cannot be fetched")
        case .failure(.unregistered): throw .invalidRequestObject("the client has no registered keys for request objects")
        }
        // Never fall back to another key for a kid the client does not publish.
        guard keys.publishes(kid: kid) else {
            throw .invalidRequestObject("the request object names a key the client does not publish")
        }
        do {
            _ = try await keys.collection.verify(object, as: Signed.self, iteratingKeys: kid == nil)
        } catch {
            throw .invalidRequestObject("the request object's signature does not verify with the client's keys")
        }
        let claims = RequestObjectClaims(
            iss: payload["iss"] as? String, aud: Self.strings(payload["aud"]), exp: Self.integer(payload["exp"]),
            iat: Self.integer(payload["iat"]), nbf: Self.integer(payload["nbf"]), jti: payload["jti"] as? String,
            clientID: payload["client_id"] as? String)
        let now = services.time.now()
        if let problem = RequestObjectRules.problem(
            claims, clientID: client.record.id, issuer: services.configuration.issuer, now: now)
        {
            throw .invalidRequestObject(problem)
        }
        let fresh: Bool
        do {
            fresh = try await services.store.recordRequestObjectJTI(
                client: client.record.id, jti: claims.jti ?? "", expiresAt: UnixTime(claims.exp ?? 0), at: now)
        } catch {
            throw .serverError("could not record the request object")
        }
        guard fresh else { throw .invalidRequestObject("the request object was already used (jti)") }
        var parameters: [String: String] = [:]
        for (name, value) in payload where !["iss", "aud", "exp", "iat", "nbf", "jti"].contains(name) {
            if let text = Self.parameterValue(value) { parameters[name] = text }
        }
        return parameters
    }

    /// JSON `true`/`false` also arrive as `NSNumber` (and `0`/`1` cast to `Bool`): tell them apart by type code.
    private static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

    private static func strings(_ value: Any?) -> [String] {
        if let one = value as? String { return [one] }
        return (value as? [Any])?.compactMap { $0 as? String } ?? []
    }

    private static func integer(_ value: Any?) -> Int64? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        return Int64(exactly: number.doubleValue)
    }

    /// A parameter as the URL would carry it: strings as they are, numbers in decimal, objects (`claims`)
    /// as JSON text.
    private static func parameterValue(_ value: Any) -> String? {
        switch value {
        case let text as String: return text
        case let number as NSNumber: return isBoolean(number) ? nil : number.stringValue
        case let object as [String: Any]:
            return (try? JSONSerialization.data(withJSONObject: object)).map { String(decoding: $0, as: UTF8.self) }
        default: return nil
        }
    }
}
