import Crypto
import Foundation
import JWTKit

/// JWS algorithms Reverify signs with. ES256 is the default (DESIGN 2).
public enum SigningAlgorithm: String, Codable, Sendable, CaseIterable {
    case es256 = "ES256"
}

/// One signing key as stored: its `kid`, algorithm and private key PEM.
public struct SigningKeyMaterial: Sendable, Equatable {
    public let kid: String
    public let algorithm: SigningAlgorithm
    public let privateKeyPEM: String

    public init(kid: String, algorithm: SigningAlgorithm, privateKeyPEM: String) {
        self.kid = kid
        self.algorithm = algorithm
        self.privateKeyPEM = privateKeyPEM
    }

    /// A new key whose `kid` is its RFC 7638 JWK thumbprint, so the id is derived, never guessed.
    public static func generate(_ algorithm: SigningAlgorithm = .es256) throws -> SigningKeyMaterial {
        switch algorithm {
        case .es256:
            let key = ES256PrivateKey()
            let kid = try thumbprint(of: key)
            return SigningKeyMaterial(kid: kid, algorithm: .es256, privateKeyPEM: key.pemRepresentation)
        }
    }

    /// The public half as a JWK for `/.well-known/jwks.json`.
    public func publicJWK() throws -> JWK {
        switch algorithm {
        case .es256:
            let key = try ES256PrivateKey(pem: privateKeyPEM)
            guard let parameters = key.parameters else { throw JWTError.generic(identifier: "jwk", reason: "no EC parameters") }
            return .ecdsa(.es256, identifier: JWKIdentifier(string: kid), x: parameters.x, y: parameters.y, curve: .p256)
        }
    }

    /// RFC 7638 3.2: SHA-256 over the required members in lexicographic order, no whitespace.
    static func thumbprint(of key: ES256PrivateKey) throws -> String {
        guard let p = key.parameters else { throw JWTError.generic(identifier: "jwk", reason: "no EC parameters") }
        let canonical = #"{"crv":"P-256","kty":"EC","x":"\#(p.x)","y":"\#(p.y)"}"#
        return Data(SHA256.hash(data: Data(canonical.utf8))).base64URLEncodedString()
    }
}

/// The keys in force: one active key that signs, and every key still published for verification.
///
/// Rotation adds a new active key; older keys stay published until their tokens have expired,
/// so rotation never invalidates a token in flight (DESIGN 2).
public struct KeyRing: Sendable {
    public let active: SigningKeyMaterial
    public let published: [SigningKeyMaterial]
    private let collection: JWTKeyCollection

    public init(active: SigningKeyMaterial, published: [SigningKeyMaterial]) async throws {
        self.active = active
        var all = published
        if !all.contains(where: { $0.kid == active.kid }) { all.insert(active, at: 0) }
        self.published = all
        let collection = JWTKeyCollection()
        for key in all {
            switch key.algorithm {
            case .es256:
                await collection.add(ecdsa: try ES256PrivateKey(pem: key.privateKeyPEM), kid: JWKIdentifier(string: key.kid))
            }
        }
        self.collection = collection
    }

    /// Signs with the active key, setting `kid` and the given `typ` (RFC 9068 2.1 wants `at+jwt`).
    public func sign(_ payload: some JWTPayload, type: String = "JWT") async throws -> String {
        var header = JWTHeader()
        header.typ = type
        header.alg = active.algorithm.rawValue
        return try await collection.sign(payload, kid: JWKIdentifier(string: active.kid), header: header)
    }

    /// Verifies a token signed by any published key and checks its claims' `verify` rules.
    public func verify<Payload: JWTPayload>(_ token: String, as type: Payload.Type) async throws -> Payload {
        try await collection.verify(token, as: type)
    }

    /// The JWK Set of every published key (RFC 7517 5).
    public func jwks() throws -> JWKS {
        JWKS(keys: try published.map { try $0.publicJWK() })
    }
}
