/// The flags byte of authenticator data (WebAuthn L3 6.1).
public struct AuthenticatorFlags: OptionSet, Equatable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Bit 0: the user was present (touched the authenticator).
    public static let userPresent = AuthenticatorFlags(rawValue: 0x01)
    /// Bit 2: the user was verified (PIN or biometric).
    public static let userVerified = AuthenticatorFlags(rawValue: 0x04)
    /// Bit 3: the credential may be backed up (a synced, multi-device passkey).
    public static let backupEligible = AuthenticatorFlags(rawValue: 0x08)
    /// Bit 4: the credential is backed up now.
    public static let backedUp = AuthenticatorFlags(rawValue: 0x10)
    /// Bit 6: attested credential data follows.
    public static let attestedCredentialData = AuthenticatorFlags(rawValue: 0x40)
    /// Bit 7: extension data follows.
    public static let extensionData = AuthenticatorFlags(rawValue: 0x80)
}

/// The credential an authenticator created (WebAuthn L3 6.5.1), present when the AT flag is set.
public struct AttestedCredentialData: Equatable, Sendable {
    public let aaguid: [UInt8]
    public let credentialID: [UInt8]
    public let publicKey: COSEKey

    /// WebAuthn L3 6.5.1: `credentialIdLength` must not exceed 1023.
    public static let maxCredentialIDLength = 1023
}

/// Parsed authenticator data (WebAuthn L3 6.1): the structure the authenticator signs.
public struct AuthenticatorData: Equatable, Sendable {
    /// SHA-256 of the RP ID the authenticator scoped the credential to.
    public let rpIDHash: [UInt8]
    public let flags: AuthenticatorFlags
    public let signCount: UInt32
    public let attestedCredential: AttestedCredentialData?
    /// The authenticator's extension outputs (a CBOR map), when the ED flag is set.
    public let extensions: CBOR?
    /// The exact bytes parsed: the signature covers these.
    public let bytes: [UInt8]

    /// Parses `bytes`, refusing anything the flags do not account for.
    public init(_ bytes: [UInt8]) throws(WebAuthnError) {
        // 32 bytes rpIdHash, 1 byte flags, 4 bytes signCount.
        guard bytes.count >= 37 else { throw .malformedAuthenticatorData("shorter than 37 bytes") }
        self.bytes = bytes
        rpIDHash = Array(bytes[0..<32])
        flags = AuthenticatorFlags(rawValue: bytes[32])
        signCount = bytes[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        // WebAuthn L3 6.1: BS may be set only when BE is.
        if flags.contains(.backedUp), !flags.contains(.backupEligible) {
            throw .malformedAuthenticatorData("backed up (BS) without being backup eligible (BE)")
        }
        var offset = 37
        if flags.contains(.attestedCredentialData) {
            // 16 bytes AAGUID, 2 bytes length, the credential id, then the COSE key (whose length only decoding tells).
            guard bytes.count >= offset + 18 else { throw .malformedAuthenticatorData("attested credential data is truncated") }
            let aaguid = Array(bytes[offset..<offset + 16])
            let length = Int(bytes[offset + 16]) << 8 | Int(bytes[offset + 17])
            offset += 18
            guard length > 0, length <= AttestedCredentialData.maxCredentialIDLength else {
                throw .malformedAuthenticatorData("credential id length \(length) is out of range")
            }
            guard bytes.count >= offset + length else { throw .malformedAuthenticatorData("credential id is truncated") }
            let credentialID = Array(bytes[offset..<offset + length])
            offset += length
            let key: CBOR
            let end: Int
            do { (key, end) = try CBORDecoder().decodePrefix(bytes, at: offset) } catch {
                throw .malformedPublicKey("\(error)")
            }
            let publicKey = try COSEKey(key, encoded: Array(bytes[offset..<end]))
            offset = end
            attestedCredential = AttestedCredentialData(aaguid: aaguid, credentialID: credentialID, publicKey: publicKey)
        } else {
            attestedCredential = nil
        }
        if flags.contains(.extensionData) {
            let item: CBOR
            do { (item, offset) = try CBORDecoder().decodePrefix(bytes, at: offset) } catch {
                throw .malformedAuthenticatorData("extensions: \(error)")
            }
            guard item.mapEntries != nil else { throw .malformedAuthenticatorData("extensions are not a map") }
            extensions = item
        } else {
            extensions = nil
        }
        guard offset == bytes.count else { throw .malformedAuthenticatorData("trailing bytes") }
    }
}
