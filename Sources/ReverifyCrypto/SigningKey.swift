import Crypto
import CryptoExtras
import Foundation
import JWTKit
import ReverifyCore

/// jwt-kit's RSA key (`Insecure` names both a swift-crypto and a jwt-kit namespace).
typealias RSAPrivateKey = JWTKit.Insecure.RSA.PrivateKey

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
        case .rs256:
            let key = try RSAPrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
            return SigningKeyMaterial(kid: try thumbprint(of: key), algorithm: .rs256, privateKeyPEM: key.pemRepresentation)
        }
    }

    /// The public half as a JWK for `/.well-known/jwks.json`.
    public func publicJWK() throws -> JWK {
        switch algorithm {
        case .es256:
            let key = try ES256PrivateKey(pem: privateKeyPEM)
            guard let parameters = key.parameters else { throw JWTError.generic(identifier: "jwk", reason: "no EC parameters") }
            return .ecdsa(.es256, identifier: JWKIdentifier(string: kid), x: parameters.x, y: parameters.y, curve: .p256)
        case .rs256:
            let (n, e) = try RSAPrivateKey(pem: privateKeyPEM).publicKey.getKeyPrimitives()
            return .rsa(
                .rs256, identifier: JWKIdentifier(string: kid), modulus: n.base64URLEncodedString(),
                exponent: e.base64URLEncodedString())
        }
    }

    /// RFC 7638 3.2: SHA-256 over the required members in lexicographic order, no whitespace.
    static func thumbprint(of key: ES256PrivateKey) throws -> String {
        guard let p = key.parameters else { throw JWTError.generic(identifier: "jwk", reason: "no EC parameters") }
        return digest(#"{"crv":"P-256","kty":"EC","x":"\#(p.x)","y":"\#(p.y)"}"#)
    }

    /// RFC 7638 3.2 for RSA: members `e`, `kty`, `n`.
    static func thumbprint(of key: RSAPrivateKey) throws -> String {
        let (n, e) = try key.publicKey.getKeyPrimitives()
        return digest(#"{"e":"\#(e.base64URLEncodedString())","kty":"RSA","n":"\#(n.base64URLEncodedString())"}"#)
    }

    private static func digest(_ canonical: String) -> String {
        Data(SHA256.hash(data: Data(canonical.utf8))).base64URLEncodedString()
    }
}

/// The keys in force: one active key that signs, and every key still published for verification.
///
/// Rotation adds a new active key; older keys stay published until their tokens have expired,
/// so rotation never invalidates a token in flight (DESIGN 2).
public struct KeyRing: Sendable {
    /// The signing key for each algorithm in use; the first one given is the default.
    public let activeKeys: [SigningAlgorithm: SigningKeyMaterial]
    public let active: SigningKeyMaterial
    public let published: [SigningKeyMaterial]
    private let collection: JWTKeyCollection

    public init(active: SigningKeyMaterial..., published: [SigningKeyMaterial]) async throws {
        try await self.init(activeKeys: active, published: published)
    }

    public init(activeKeys active: [SigningKeyMaterial], published: [SigningKeyMaterial]) async throws {
        guard let first = active.first else { throw JWTError.generic(identifier: "keys", reason: "no active key") }
        self.active = first
        self.activeKeys = Dictionary(active.map { ($0.algorithm, $0) }, uniquingKeysWith: { a, _ in a })
        var all = published
        for key in active.reversed() where !all.contains(where: { $0.kid == key.kid }) { all.insert(key, at: 0) }
        self.published = all
        let collection = JWTKeyCollection()
        for key in all {
            let kid = JWKIdentifier(string: key.kid)
            switch key.algorithm {
            case .es256:
                await collection.add(ecdsa: try ES256PrivateKey(pem: key.privateKeyPEM), kid: kid)
            case .rs256:
                await collection.add(rsa: try RSAPrivateKey(pem: key.privateKeyPEM), digestAlgorithm: .sha256, kid: kid)
            }
        }
        self.collection = collection
    }

    /// Signs with the active key of `algorithm` (the default key if none), setting `kid` and the given
    /// `typ` (RFC 9068 2.1 wants `at+jwt`).
    public func sign(_ payload: some JWTPayload, type: String = "JWT", algorithm: SigningAlgorithm? = nil) async throws
        -> String
    {
        let key = algorithm.flatMap { activeKeys[$0] } ?? active
        var header = JWTHeader()
        header.typ = type
        header.alg = key.algorithm.rawValue
        return try await collection.sign(payload, kid: JWKIdentifier(string: key.kid), header: header)
    }

    /// Verifies a token signed by any published key and checks its claims' `verify` rules.
    public func verify<Payload: JWTPayload>(_ token: String, as type: Payload.Type) async throws -> Payload {
        try await collection.verify(token, as: type)
    }

    /// Verifies a token like ``verify(_:as:)`` and also returns the kind its JOSE header `typ` declares, so a
    /// caller can refuse a token of the wrong kind (an access token offered as an `id_token_hint`).
    public func verifyTyped<Payload: JWTPayload>(_ token: String, as type: Payload.Type) async throws
        -> (payload: Payload, type: IssuedTokenType)
    {
        let payload = try await collection.verify(token, as: type)
        // The signature is verified; reading the header of the same bytes is now safe.
        let header = try DefaultJWTParser().parse(Array(token.utf8), as: type).header
        return (payload, IssuedTokenType(typ: header.typ))
    }

    /// The JWK Set of every published key (RFC 7517 5).
    public func jwks() throws -> JWKS {
        JWKS(keys: try published.map { try $0.publicJWK() })
    }
}
