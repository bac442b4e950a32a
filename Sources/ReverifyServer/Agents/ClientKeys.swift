import Foundation
import JWTKit

/// A client's public keys loaded for verification, with their `kid`s: jwt-kit falls back to a default key
/// for an unknown `kid`, so an assertion naming a key the client does not publish is refused by us first.
struct ClientKeys: Sendable {
    let collection: JWTKeyCollection
    let kids: Set<String>

    /// Loads a JWK Set; keys jwt-kit cannot verify with are skipped. `nil` when the text is not a JWK Set
    /// or holds no usable key.
    static func load(jwksJSON: String) async -> ClientKeys? {
        guard let jwks = try? JSONDecoder().decode(JWKS.self, from: Data(jwksJSON.utf8)) else { return nil }
        let collection = JWTKeyCollection()
        var kids = Set<String>()
        var loaded = 0
        for jwk in jwks.keys where (try? await collection.add(jwk: jwk)) != nil {
            loaded += 1
            if let kid = jwk.keyIdentifier { kids.insert(kid.string) }
        }
        return loaded == 0 ? nil : ClientKeys(collection: collection, kids: kids)
    }

    /// Whether an assertion's header `kid` names a key of this set (no `kid`: every key is tried).
    func publishes(kid: String?) -> Bool { kid.map(kids.contains) ?? true }
}
