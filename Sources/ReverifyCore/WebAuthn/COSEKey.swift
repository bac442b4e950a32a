/// The COSE signature algorithms Reverify accepts for passkeys (IANA COSE Algorithms registry), offered in
/// `pubKeyCredParams` in this order of preference.
public enum COSEAlgorithm: Int64, Sendable, CaseIterable, Codable {
    /// ECDSA with SHA-256 on P-256.
    case es256 = -7
    /// EdDSA (Ed25519).
    case edDSA = -8
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    case rs256 = -257

    /// The JOSE name of the same algorithm (RFC 7518 3.1, RFC 8037 3.1), as operators know it.
    public var name: String {
        switch self {
        case .es256: "ES256"
        case .edDSA: "EdDSA"
        case .rs256: "RS256"
        }
    }
}

/// A credential public key in COSE_Key form (RFC 9052 7, RFC 9053 7), checked strictly: the key type,
/// curve and algorithm must agree and every coordinate must have its exact size.
public struct COSEKey: Equatable, Sendable {
    /// The public key material, by key type.
    public enum Material: Equatable, Sendable {
        /// EC2 on P-256 (RFC 9053 7.1.1): 32-byte big-endian x and y.
        case p256(x: [UInt8], y: [UInt8])
        /// OKP Ed25519 (RFC 9053 7.2): the 32-byte public key.
        case ed25519(x: [UInt8])
        /// RSA (RFC 8230 4): modulus and public exponent, big-endian, no leading zero bytes.
        case rsa(n: [UInt8], e: [UInt8])
    }

    public let algorithm: COSEAlgorithm
    public let material: Material
    /// The CBOR bytes this key was decoded from, stored as the credential's public key.
    public let encoded: [UInt8]

    // RFC 9052 7.1 and RFC 9053 7: COSE key labels.
    private static let kty: Int64 = 1
    private static let alg: Int64 = 3
    private static let crv: Int64 = -1
    private static let x: Int64 = -2
    private static let y: Int64 = -3
    private static let d: Int64 = -4

    /// Decodes a stored key (the `encoded` bytes of a key accepted before).
    public init(encoded bytes: [UInt8]) throws(WebAuthnError) {
        let item: CBOR
        do { item = try CBORDecoder().decode(bytes) } catch { throw .malformedPublicKey("\(error)") }
        try self.init(item, encoded: bytes)
    }

    /// Checks a decoded COSE_Key map.
    public init(_ item: CBOR, encoded: [UInt8]) throws(WebAuthnError) {
        guard item.mapEntries != nil else { throw .malformedPublicKey("the key is not a CBOR map") }
        guard let algorithmValue = item[int: Self.alg]?.integer else { throw .malformedPublicKey("the key has no alg") }
        guard let algorithm = COSEAlgorithm(rawValue: algorithmValue) else { throw .unsupportedAlgorithm(algorithmValue) }
        guard let kty = item[int: Self.kty]?.integer else { throw .malformedPublicKey("the key has no kty") }
        self.algorithm = algorithm
        self.encoded = encoded
        switch (algorithm, kty) {
        case (.es256, 2):
            // RFC 9053 7.1.1: crv 1 is P-256; a private key (d) has no place in a credential.
            guard item[int: Self.crv]?.integer == 1 else { throw .malformedPublicKey("ES256 needs curve P-256") }
            guard item[int: Self.d] == nil else { throw .malformedPublicKey("the key contains private material") }
            guard let x = item[int: Self.x]?.byteString, x.count == 32,
                let y = item[int: Self.y]?.byteString, y.count == 32
            else { throw .malformedPublicKey("a P-256 key needs 32-byte x and y coordinates") }
            material = .p256(x: x, y: y)
        case (.edDSA, 1):
            // RFC 9053 7.2: crv 6 is Ed25519 (Ed448, crv 7, is not offered).
            guard item[int: Self.crv]?.integer == 6 else { throw .malformedPublicKey("EdDSA needs curve Ed25519") }
            guard item[int: Self.d] == nil else { throw .malformedPublicKey("the key contains private material") }
            guard let x = item[int: Self.x]?.byteString, x.count == 32 else {
                throw .malformedPublicKey("an Ed25519 key needs a 32-byte x")
            }
            material = .ed25519(x: x)
        case (.rs256, 3):
            // RFC 8230 4: n is label -1, e is label -2; d (-3) and the CRT values would be private.
            guard item[int: -3] == nil, item[int: -4] == nil else { throw .malformedPublicKey("the key contains private material") }
            guard let n = item[int: -1]?.byteString, let e = item[int: -2]?.byteString else {
                throw .malformedPublicKey("an RSA key needs n and e")
            }
            guard n.count >= 256, n.count <= 1024, n.first != 0 else {
                throw .malformedPublicKey("an RSA modulus must be 2048 to 8192 bits")
            }
            guard (1...8).contains(e.count), e.first != 0, e.last.map({ $0 & 1 == 1 }) == true else {
                throw .malformedPublicKey("an RSA exponent must be odd and at most 8 bytes")
            }
            material = .rsa(n: n, e: e)
        default:
            throw .malformedPublicKey("key type \(kty) does not match algorithm \(algorithmValue)")
        }
    }
}
