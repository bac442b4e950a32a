import ReverifyCore

/// Builders for WebAuthn structures, encoded with `CBOREncoder`; each test overrides one part to break one rule.
enum WebAuthnFixture {
    static let rpIDHash = [UInt8](repeating: 0xAB, count: 32)
    static let credentialID = [UInt8](repeating: 0x11, count: 16)
    static let aaguid = [UInt8](repeating: 0, count: 16)
    static let flagsUPUV: AuthenticatorFlags = [.userPresent, .userVerified]

    static func entry(_ key: Int64, _ value: CBOR) -> CBORMapEntry { CBORMapEntry(key: CBOR(key), value: value) }

    /// An ES256 COSE key (kty EC2, alg -7, crv P-256).
    static func p256Key(
        kty: Int64 = 2, alg: Int64 = -7, crv: Int64 = 1, x: [UInt8] = .init(repeating: 1, count: 32),
        y: [UInt8] = .init(repeating: 2, count: 32), extra: [CBORMapEntry] = []
    ) -> CBOR {
        .map([entry(1, CBOR(kty)), entry(3, CBOR(alg)), entry(-1, CBOR(crv)), entry(-2, .bytes(x)), entry(-3, .bytes(y))] + extra)
    }

    static func ed25519Key(crv: Int64 = 6, x: [UInt8] = .init(repeating: 3, count: 32)) -> CBOR {
        .map([entry(1, CBOR(1)), entry(3, CBOR(-8)), entry(-1, CBOR(crv)), entry(-2, .bytes(x))])
    }

    static func rsaKey(n: [UInt8] = [0xC1] + .init(repeating: 5, count: 255), e: [UInt8] = [1, 0, 1]) -> CBOR {
        .map([entry(1, CBOR(3)), entry(3, CBOR(-257)), entry(-1, .bytes(n)), entry(-2, .bytes(e))])
    }

    static func authData(
        rpIDHash: [UInt8] = rpIDHash, flags: AuthenticatorFlags = flagsUPUV, signCount: UInt32 = 0,
        credentialID: [UInt8]? = nil, key: CBOR = p256Key(), extensions: CBOR? = nil
    ) -> [UInt8] {
        var flags = flags
        if credentialID != nil { flags.insert(.attestedCredentialData) }
        if extensions != nil { flags.insert(.extensionData) }
        var bytes = rpIDHash + [flags.rawValue] + (0..<4).reversed().map { UInt8(truncatingIfNeeded: signCount >> (8 * UInt32($0))) }
        if let credentialID {
            bytes += aaguid + [UInt8(credentialID.count >> 8), UInt8(credentialID.count & 0xFF)] + credentialID
            bytes += CBOREncoder.encode(key)
        }
        if let extensions { bytes += CBOREncoder.encode(extensions) }
        return bytes
    }

    static func registrationAuthData(flags: AuthenticatorFlags = flagsUPUV, key: CBOR = p256Key()) -> [UInt8] {
        authData(flags: flags, credentialID: credentialID, key: key)
    }

    static func attestationObject(
        fmt: String = "none", attStmt: CBOR = .map([]), authData: [UInt8] = registrationAuthData(), extra: [CBORMapEntry] = []
    ) -> [UInt8] {
        CBOREncoder.encode(.map([
            CBORMapEntry(key: .text("fmt"), value: .text(fmt)), CBORMapEntry(key: .text("attStmt"), value: attStmt),
            CBORMapEntry(key: .text("authData"), value: .bytes(authData)),
        ] + extra))
    }
}

/// A deterministic pseudo-random generator (SplitMix64), so a fuzz failure reproduces from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
