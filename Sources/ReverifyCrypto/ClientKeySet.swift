import Foundation
import JWTKit

/// A client's registered public keys (a JWK Set, RFC 7517 5), checked when an operator registers them.
public enum ClientKeySet {
    /// Why `json` cannot serve as a client's keys, or `nil` when it can: a JWK Set of public EC, RSA or
    /// OKP keys that jwt-kit can load. Private key material is refused: the server never needs it.
    public static func problem(with json: String) async -> String? {
        guard json.utf8.count <= 64 * 1024, let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let keys = object["keys"] as? [[String: Any]]
        else { return "not a JWK Set (a JSON object with a \"keys\" array)" }
        guard !keys.isEmpty else { return "the JWK Set has no keys" }
        for key in keys {
            guard let kty = key["kty"] as? String, ["EC", "RSA", "OKP"].contains(kty) else {
                return "every key must be an EC, RSA or OKP public key"
            }
            if key["d"] != nil || key["p"] != nil { return "the JWK Set contains private key material; register public keys only" }
        }
        do {
            _ = try await JWTKeyCollection().add(jwksJSON: json)
        } catch {
            return "the keys cannot be loaded: \(error)"
        }
        return nil
    }
}
