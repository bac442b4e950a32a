/// What Reverify stores about a passkey besides its key, and needs to check the next assertion.
public struct PasskeyState: Equatable, Sendable {
    public var signCount: UInt32
    public var backupEligible: Bool
    public var backedUp: Bool

    public init(signCount: UInt32, backupEligible: Bool, backedUp: Bool) {
        self.signCount = signCount
        self.backupEligible = backupEligible
        self.backedUp = backedUp
    }
}

/// The authenticator-data rules of registration (WebAuthn L3 7.1) and authentication (L3 7.2), after the
/// client data was checked and before (authentication) the signature is. Pure: the caller hashes the RP ID.
public enum PasskeyRules {
    /// The algorithms Reverify offers in `pubKeyCredParams` and accepts.
    public static let algorithms = COSEAlgorithm.allCases

    /// L3 7.1 steps 13-21 for a `none` attestation: the credential was scoped to our RP ID, the user was
    /// present and verified, and a credential with an accepted key is attached.
    public static func checkRegistration(
        _ data: AuthenticatorData, rpIDHash expected: [UInt8]
    ) throws(WebAuthnError) -> AttestedCredentialData {
        try checkCommon(data, rpIDHash: expected)
        guard let credential = data.attestedCredential else { throw .missingCredential }
        guard algorithms.contains(credential.publicKey.algorithm) else {
            throw .unsupportedAlgorithm(credential.publicKey.algorithm.rawValue)
        }
        return credential
    }

    /// L3 7.2 steps 15-19: RP ID, UP, UV, no attested credential data, the backup-eligible flag unchanged.
    /// The signature (step 21) is checked next, and only then the counter (`advance`): a counter that goes
    /// backwards is evidence of a clone only when the signature proves the key produced it.
    public static func checkAssertion(
        _ data: AuthenticatorData, rpIDHash expected: [UInt8], stored: PasskeyState
    ) throws(WebAuthnError) {
        try checkCommon(data, rpIDHash: expected)
        guard data.attestedCredential == nil else {
            throw .malformedAuthenticatorData("an assertion must not carry attested credential data")
        }
        // L3 7.2 step 19: BE is fixed when the credential is created.
        guard data.flags.contains(.backupEligible) == stored.backupEligible else { throw .backupEligibilityChanged }
    }

    /// L3 7.2 step 22: the state to store after a verified assertion, or `signCountRollback`.
    public static func advance(_ stored: PasskeyState, with data: AuthenticatorData) throws(WebAuthnError) -> PasskeyState {
        guard signCountAdvances(stored: stored.signCount, received: data.signCount) else {
            throw .signCountRollback(stored: stored.signCount, received: data.signCount)
        }
        return PasskeyState(
            signCount: data.signCount, backupEligible: stored.backupEligible, backedUp: data.flags.contains(.backedUp))
    }

    /// L3 6.1.1: when either counter is non-zero the received one must be greater than the stored one;
    /// otherwise the authenticator may have been cloned. Two zeros mean the authenticator keeps no counter
    /// (synced passkeys do not).
    public static func signCountAdvances(stored: UInt32, received: UInt32) -> Bool {
        if stored == 0, received == 0 { return true }
        return received > stored
    }

    private static func checkCommon(_ data: AuthenticatorData, rpIDHash expected: [UInt8]) throws(WebAuthnError) {
        guard ConstantTime.equals(data.rpIDHash, expected) else { throw .rpIDMismatch }
        guard data.flags.contains(.userPresent) else { throw .userNotPresent }
        // Reverify asks for userVerification "required" (issue 18), so a response without UV is refused even
        // though the spec leaves the choice to the relying party.
        guard data.flags.contains(.userVerified) else { throw .userNotVerified }
    }
}

/// The `amr` values and level a verified passkey assertion earns (issue 18): `hwk` for a device-bound key,
/// `swk` for a backup-eligible (synced) one, `user` when the user was verified.
public enum PasskeyAssurance {
    public static func amr(backupEligible: Bool, userVerified: Bool) -> [AMR] {
        var values: [AMR] = [backupEligible ? .swk : .hwk]
        if userVerified { values.append(.user) }
        return values
    }
}
