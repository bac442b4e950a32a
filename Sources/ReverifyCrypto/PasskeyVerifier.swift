import Crypto
import CryptoExtras
import Foundation
import ReverifyCore

/// Verifies passkey registrations and assertions for one relying party (WebAuthn L3 7.1 and 7.2): decodes
/// `clientDataJSON`, applies `CollectedClientData.check` and `PasskeyRules`, hashes with SHA-256 and checks
/// signatures with swift-crypto. Binding the challenge to a session and the credential to a user is the
/// caller's part.
public struct PasskeyVerifier: Sendable {
    /// The RP ID: the issuer's host (a domain; WebAuthn refuses IP addresses).
    public let rpID: String
    /// The issuer's origin, which `clientDataJSON.origin` must equal exactly.
    public let origin: String

    public init(rpID: String, origin: String) {
        self.rpID = rpID
        self.origin = origin
    }

    /// A credential accepted at registration.
    public struct Registration: Equatable, Sendable {
        public let credentialID: [UInt8]
        public let publicKey: COSEKey
        public let state: PasskeyState
        public let aaguid: [UInt8]
    }

    /// A verified assertion: the state to store and what the verification proves.
    public struct Assertion: Equatable, Sendable {
        public let state: PasskeyState
        public let userVerified: Bool
        public var amr: [AMR] { PasskeyAssurance.amr(backupEligible: state.backupEligible, userVerified: userVerified) }
    }

    /// SHA-256 of the RP ID, as authenticator data carries it.
    public var rpIDHash: [UInt8] { Array(SHA256.hash(data: Data(rpID.utf8))) }

    /// L3 7.1: a `navigator.credentials.create()` response.
    public func verifyRegistration(
        clientDataJSON: [UInt8], attestationObject: [UInt8], expectedChallenge: String
    ) throws(WebAuthnError) -> Registration {
        try Self.clientData(clientDataJSON).check(ceremony: .registration, expectedChallenge: expectedChallenge, origin: origin)
        let attestation = try AttestationObject(attestationObject)
        let data = attestation.authenticatorData
        let credential = try PasskeyRules.checkRegistration(data, rpIDHash: rpIDHash)
        // The key must load in swift-crypto now, not fail at the first sign-in (a P-256 point off the curve).
        _ = try Self.loadedKey(credential.publicKey)
        return Registration(
            credentialID: credential.credentialID, publicKey: credential.publicKey,
            state: PasskeyState(
                signCount: data.signCount, backupEligible: data.flags.contains(.backupEligible),
                backedUp: data.flags.contains(.backedUp)),
            aaguid: credential.aaguid)
    }

    /// L3 7.2: a `navigator.credentials.get()` response for a credential stored with `publicKey` and `stored`.
    public func verifyAssertion(
        clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8], expectedChallenge: String,
        publicKey: COSEKey, stored: PasskeyState
    ) throws(WebAuthnError) -> Assertion {
        try Self.clientData(clientDataJSON).check(ceremony: .authentication, expectedChallenge: expectedChallenge, origin: origin)
        let data = try AuthenticatorData(authenticatorData)
        try PasskeyRules.checkAssertion(data, rpIDHash: rpIDHash, stored: stored)
        // L3 7.2 step 21: the signature covers authenticatorData || SHA-256(clientDataJSON).
        let signed = Data(authenticatorData) + Data(SHA256.hash(data: Data(clientDataJSON)))
        guard try Self.loadedKey(publicKey).isValid(signature: signature, for: signed) else { throw .badSignature }
        let state = try PasskeyRules.advance(stored, with: data)
        return Assertion(state: state, userVerified: data.flags.contains(.userVerified))
    }

    static func clientData(_ json: [UInt8]) throws(WebAuthnError) -> CollectedClientData {
        do {
            return try JSONDecoder().decode(CollectedClientData.self, from: Data(json))
        } catch {
            throw .malformedClientData("not the expected JSON object")
        }
    }

    /// A COSE key as a swift-crypto public key.
    enum LoadedKey {
        case p256(P256.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey)

        func isValid(signature: [UInt8], for data: Data) -> Bool {
            switch self {
            case .p256(let key):
                // WebAuthn L3 6.5.5: ES256 signatures are ASN.1 DER, not the raw r||s of JOSE.
                guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
                return key.isValidSignature(parsed, for: data)
            case .ed25519(let key):
                return key.isValidSignature(signature, for: data)
            case .rsa(let key):
                return key.isValidSignature(
                    _RSA.Signing.RSASignature(rawRepresentation: signature), for: data, padding: .insecurePKCS1v1_5)
            }
        }
    }

    static func loadedKey(_ key: COSEKey) throws(WebAuthnError) -> LoadedKey {
        do {
            switch key.material {
            case .p256(let x, let y): return .p256(try P256.Signing.PublicKey(x963Representation: [0x04] + x + y))
            case .ed25519(let x): return .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: x))
            case .rsa(let n, let e): return .rsa(try _RSA.Signing.PublicKey(n: n, e: e))
            }
        } catch {
            throw .malformedPublicKey("swift-crypto cannot load it")
        }
    }
}
