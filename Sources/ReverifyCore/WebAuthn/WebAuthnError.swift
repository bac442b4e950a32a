/// Why a passkey registration or assertion is refused. Every failure of the WebAuthn rules is one of these;
/// `message` is safe to show a person and to audit (it never includes key material or signatures).
public enum WebAuthnError: Error, Equatable, Sendable {
    case malformedClientData(String)
    /// `clientDataJSON.type` is not the ceremony's (`webauthn.create` / `webauthn.get`).
    case wrongCeremony
    case challengeMismatch
    /// `clientDataJSON.origin` is not exactly the issuer's origin.
    case originMismatch
    /// The ceremony ran in a cross-origin iframe (`crossOrigin: true`).
    case crossOrigin
    case malformedAttestationObject(String)
    /// Only `none` attestation is requested and accepted.
    case unsupportedAttestationFormat(String)
    case malformedAuthenticatorData(String)
    case malformedPublicKey(String)
    case unsupportedAlgorithm(Int64)
    /// `rpIdHash` is not SHA-256 of the RP ID: the credential belongs to another site.
    case rpIDMismatch
    case userNotPresent
    /// The authenticator did not verify the user; Reverify's policy is `userVerification: required`.
    case userNotVerified
    case missingCredential
    /// The backup-eligible flag changed since registration (WebAuthn L3 7.2 step 19).
    case backupEligibilityChanged
    /// The sign counter did not move forward: the authenticator may have been cloned (WebAuthn L3 6.1.1).
    case signCountRollback(stored: UInt32, received: UInt32)
    case badSignature
    /// The credential is not one the user registered (or not the one the page asked for).
    case unknownCredential

    /// The audit reason code.
    public var reason: String {
        switch self {
        case .malformedClientData: "passkey_malformed_client_data"
        case .wrongCeremony: "passkey_wrong_type"
        case .challengeMismatch: "passkey_challenge_mismatch"
        case .originMismatch: "passkey_origin_mismatch"
        case .crossOrigin: "passkey_cross_origin"
        case .malformedAttestationObject: "passkey_malformed_attestation"
        case .unsupportedAttestationFormat: "passkey_unsupported_attestation"
        case .malformedAuthenticatorData: "passkey_malformed_authenticator_data"
        case .malformedPublicKey: "passkey_malformed_public_key"
        case .unsupportedAlgorithm: "passkey_unsupported_algorithm"
        case .rpIDMismatch: "passkey_rp_id_mismatch"
        case .userNotPresent: "passkey_user_not_present"
        case .userNotVerified: "passkey_user_not_verified"
        case .missingCredential: "passkey_missing_credential"
        case .backupEligibilityChanged: "passkey_backup_eligibility_changed"
        case .signCountRollback: "passkey_possible_clone"
        case .badSignature: "passkey_bad_signature"
        case .unknownCredential: "passkey_unknown_credential"
        }
    }

    /// What a person (or operator) reads.
    public var message: String {
        switch self {
        case .malformedClientData(let why): "The browser's response is malformed (\(why))."
        case .wrongCeremony: "The browser's response is for another kind of request."
        case .challengeMismatch: "This passkey request expired or was already used. Try again."
        case .originMismatch: "The passkey response came from another site."
        case .crossOrigin: "Passkeys cannot be used from an embedded frame here."
        case .malformedAttestationObject(let why): "The passkey's registration data is malformed (\(why))."
        case .unsupportedAttestationFormat(let fmt): "Attestation format \"\(fmt)\" is not accepted; only \"none\" is."
        case .malformedAuthenticatorData(let why): "The authenticator data is malformed (\(why))."
        case .malformedPublicKey(let why): "The passkey's public key is not acceptable (\(why))."
        case .unsupportedAlgorithm(let alg): "The passkey's algorithm \(alg) is not supported (ES256, EdDSA, RS256 are)."
        case .rpIDMismatch: "The passkey belongs to another site."
        case .userNotPresent: "The authenticator did not confirm you were present."
        case .userNotVerified: "The authenticator did not verify you (PIN or biometric required)."
        case .missingCredential: "The registration response carries no credential."
        case .backupEligibilityChanged: "The passkey's backup eligibility changed since it was added."
        case .signCountRollback: "This passkey's counter went backwards; it may have been copied. It was refused."
        case .badSignature: "The passkey's signature is not valid."
        case .unknownCredential: "This passkey is not registered for your account."
        }
    }
}
