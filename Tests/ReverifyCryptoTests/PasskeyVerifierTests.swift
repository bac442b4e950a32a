import Crypto
import CryptoExtras
import Foundation
import ReverifyCore
import ReverifyCrypto
import XCTest

/// A software authenticator for the tests: real keys, real signatures, the structures WebAuthn L3 defines.
private struct SoftAuthenticator {
    enum Key {
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    let key: Key
    let credentialID = Array("credential-0001!".utf8)
    var signCount: UInt32 = 0
    var flags: AuthenticatorFlags = [.userPresent, .userVerified]

    static func make(_ alg: COSEAlgorithm) throws -> SoftAuthenticator {
        switch alg {
        case .es256: SoftAuthenticator(key: .p256(P256.Signing.PrivateKey()))
        case .edDSA: SoftAuthenticator(key: .ed25519(Curve25519.Signing.PrivateKey()))
        case .rs256: SoftAuthenticator(key: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048)))
        }
    }

    var coseKey: CBOR {
        func e(_ k: Int64, _ v: CBOR) -> CBORMapEntry { CBORMapEntry(key: CBOR(k), value: v) }
        switch key {
        case .p256(let k):
            let point = Array(k.publicKey.x963Representation)
            return .map([e(1, CBOR(2)), e(3, CBOR(-7)), e(-1, CBOR(1)), e(-2, .bytes(Array(point[1...32]))), e(-3, .bytes(Array(point[33...64])))])
        case .ed25519(let k):
            return .map([e(1, CBOR(1)), e(3, CBOR(-8)), e(-1, CBOR(6)), e(-2, .bytes(Array(k.publicKey.rawRepresentation)))])
        case .rsa(let k):
            let (n, exponent) = Self.rsaComponents(k.publicKey)
            return .map([e(1, CBOR(3)), e(3, CBOR(-257)), e(-1, .bytes(n)), e(-2, .bytes(exponent))])
        }
    }

    /// n and e from the PKCS#1 DER (SEQUENCE { INTEGER n, INTEGER e }).
    static func rsaComponents(_ key: _RSA.Signing.PublicKey) -> ([UInt8], [UInt8]) {
        let der = Array(key.pkcs1DERRepresentation)
        var i = 1
        func length() -> Int {
            let first = Int(der[i]); i += 1
            guard first & 0x80 != 0 else { return first }
            var value = 0
            for _ in 0..<(first & 0x7F) { value = value << 8 | Int(der[i]); i += 1 }
            return value
        }
        _ = length()
        func integer() -> [UInt8] {
            i += 1  // INTEGER tag
            let count = length()
            var bytes = Array(der[i..<i + count]); i += count
            while bytes.first == 0 { bytes.removeFirst() }
            return bytes
        }
        return (integer(), integer())
    }

    func authData(rpID: String, attested: Bool) -> [UInt8] {
        var flags = self.flags
        if attested { flags.insert(.attestedCredentialData) }
        var bytes = Array(SHA256.hash(data: Data(rpID.utf8))) + [flags.rawValue]
        bytes += (0..<4).reversed().map { UInt8(truncatingIfNeeded: signCount >> (8 * UInt32($0))) }
        if attested {
            bytes += [UInt8](repeating: 0, count: 16) + [0, UInt8(credentialID.count)] + credentialID + CBOREncoder.encode(coseKey)
        }
        return bytes
    }

    func sign(_ data: Data) throws -> [UInt8] {
        switch key {
        case .p256(let k): Array(try k.signature(for: data).derRepresentation)
        case .ed25519(let k): Array(try k.signature(for: data))
        case .rsa(let k): Array(try k.signature(for: data, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }
}

private func clientData(_ type: String, challenge: String, origin: String = "http://localhost:8080", crossOrigin: Bool = false) -> [UInt8] {
    Array(#"{"type":"\#(type)","challenge":"\#(challenge)","origin":"\#(origin)","crossOrigin":\#(crossOrigin)}"#.utf8)
}

final class PasskeyVerifierTests: XCTestCase {
    private let verifier = PasskeyVerifier(rpID: "localhost", origin: "http://localhost:8080")
    private let challenge = "Y2hhbGxlbmdlLWNoYWxsZW5nZS1jaGFsbGVuZ2UtMDA"

    private func register(_ authenticator: SoftAuthenticator, rpID: String = "localhost") throws -> PasskeyVerifier.Registration {
        let attestation = CBOREncoder.encode(.map([
            CBORMapEntry(key: .text("fmt"), value: .text("none")), CBORMapEntry(key: .text("attStmt"), value: .map([])),
            CBORMapEntry(key: .text("authData"), value: .bytes(authenticator.authData(rpID: rpID, attested: true))),
        ]))
        return try verifier.verifyRegistration(
            clientDataJSON: clientData("webauthn.create", challenge: challenge), attestationObject: attestation, expectedChallenge: challenge)
    }

    private func assert(
        _ authenticator: SoftAuthenticator, registration: PasskeyVerifier.Registration, stored: PasskeyState? = nil,
        origin: String = "http://localhost:8080", rpID: String = "localhost", tamperSignature: Bool = false
    ) throws -> PasskeyVerifier.Assertion {
        let client = clientData("webauthn.get", challenge: challenge, origin: origin)
        let data = authenticator.authData(rpID: rpID, attested: false)
        var signature = try authenticator.sign(Data(data) + Data(SHA256.hash(data: Data(client))))
        if tamperSignature { signature[signature.count / 2] ^= 0x01 }
        return try verifier.verifyAssertion(
            clientDataJSON: client, authenticatorData: data, signature: signature, expectedChallenge: challenge,
            publicKey: registration.publicKey, stored: stored ?? registration.state)
    }

    func testEachAlgorithmRegistersAndAsserts() throws {
        for alg in COSEAlgorithm.allCases {
            var authenticator = try SoftAuthenticator.make(alg)
            let registration = try register(authenticator)
            XCTAssertEqual(registration.credentialID, authenticator.credentialID)
            XCTAssertEqual(registration.publicKey.algorithm, alg)
            authenticator.signCount = 1
            let assertion = try assert(authenticator, registration: registration)
            XCTAssertEqual(assertion.state.signCount, 1, "\(alg)")
            XCTAssertEqual(assertion.amr, [.hwk, .user])
        }
    }

    func testTheStoredKeyBytesVerifyLaterAssertions() throws {
        let authenticator = try SoftAuthenticator.make(.es256)
        let registration = try register(authenticator)
        let reloaded = try COSEKey(encoded: registration.publicKey.encoded)
        let client = clientData("webauthn.get", challenge: challenge)
        let data = authenticator.authData(rpID: "localhost", attested: false)
        let signature = try authenticator.sign(Data(data) + Data(SHA256.hash(data: Data(client))))
        XCTAssertNoThrow(try verifier.verifyAssertion(
            clientDataJSON: client, authenticatorData: data, signature: signature, expectedChallenge: challenge, publicKey: reloaded,
            stored: registration.state))
    }

    func testATamperedSignatureIsRefused() throws {
        for alg in COSEAlgorithm.allCases {
            let authenticator = try SoftAuthenticator.make(alg)
            let registration = try register(authenticator)
            XCTAssertThrowsError(try assert(authenticator, registration: registration, tamperSignature: true)) {
                XCTAssertEqual($0 as? WebAuthnError, .badSignature, "\(alg)")
            }
        }
    }

    func testAnotherKeysSignatureIsRefused() throws {
        let registration = try register(try SoftAuthenticator.make(.es256))
        XCTAssertThrowsError(try assert(try SoftAuthenticator.make(.es256), registration: registration)) {
            XCTAssertEqual($0 as? WebAuthnError, .badSignature)
        }
    }

    func testAnotherOriginIsRefused() throws {
        let authenticator = try SoftAuthenticator.make(.es256)
        let registration = try register(authenticator)
        XCTAssertThrowsError(try assert(authenticator, registration: registration, origin: "http://127.0.0.1:8080")) {
            XCTAssertEqual($0 as? WebAuthnError, .originMismatch)
        }
    }

    func testAnotherRPIDIsRefusedAtRegistrationAndAssertion() throws {
        let authenticator = try SoftAuthenticator.make(.es256)
        XCTAssertThrowsError(try register(authenticator, rpID: "evil.example")) { XCTAssertEqual($0 as? WebAuthnError, .rpIDMismatch) }
        let registration = try register(authenticator)
        XCTAssertThrowsError(try assert(authenticator, registration: registration, rpID: "evil.example")) {
            XCTAssertEqual($0 as? WebAuthnError, .rpIDMismatch)
        }
    }

    func testACounterRollbackWithAValidSignatureIsAPossibleClone() throws {
        var authenticator = try SoftAuthenticator.make(.es256)
        let registration = try register(authenticator)
        authenticator.signCount = 3
        let stored = PasskeyState(signCount: 7, backupEligible: false, backedUp: false)
        XCTAssertThrowsError(try assert(authenticator, registration: registration, stored: stored)) {
            XCTAssertEqual($0 as? WebAuthnError, .signCountRollback(stored: 7, received: 3))
        }
    }

    func testAForgedRollbackIsABadSignatureNotACloneReport() throws {
        var authenticator = try SoftAuthenticator.make(.es256)
        let registration = try register(authenticator)
        authenticator.signCount = 3
        let stored = PasskeyState(signCount: 7, backupEligible: false, backedUp: false)
        XCTAssertThrowsError(try assert(authenticator, registration: registration, stored: stored, tamperSignature: true)) {
            XCTAssertEqual($0 as? WebAuthnError, .badSignature)
        }
    }

    func testAnAssertionWithoutUserVerificationIsRefused() throws {
        var authenticator = try SoftAuthenticator.make(.es256)
        let registration = try register(authenticator)
        authenticator.flags = [.userPresent]
        XCTAssertThrowsError(try assert(authenticator, registration: registration)) { XCTAssertEqual($0 as? WebAuthnError, .userNotVerified) }
    }

    func testASyncedPasskeyIsSwk() throws {
        var authenticator = try SoftAuthenticator.make(.edDSA)
        authenticator.flags = [.userPresent, .userVerified, .backupEligible, .backedUp]
        let registration = try register(authenticator)
        XCTAssertTrue(registration.state.backupEligible)
        XCTAssertEqual(try assert(authenticator, registration: registration).amr, [.swk, .user])
    }

    func testAP256KeyOffTheCurveIsRefusedAtRegistration() throws {
        let offCurve: CBOR = .map([
            CBORMapEntry(key: CBOR(1), value: CBOR(2)), CBORMapEntry(key: CBOR(3), value: CBOR(-7)), CBORMapEntry(key: CBOR(-1), value: CBOR(1)),
            CBORMapEntry(key: CBOR(-2), value: .bytes(.init(repeating: 1, count: 32))), CBORMapEntry(key: CBOR(-3), value: .bytes(.init(repeating: 2, count: 32))),
        ])
        var data = Array(SHA256.hash(data: Data("localhost".utf8))) + [0x45, 0, 0, 0, 0]
        data += [UInt8](repeating: 0, count: 16) + [0, 4, 1, 2, 3, 4] + CBOREncoder.encode(offCurve)
        let attestation = CBOREncoder.encode(.map([
            CBORMapEntry(key: .text("fmt"), value: .text("none")), CBORMapEntry(key: .text("attStmt"), value: .map([])),
            CBORMapEntry(key: .text("authData"), value: .bytes(data)),
        ]))
        XCTAssertThrowsError(try verifier.verifyRegistration(
            clientDataJSON: clientData("webauthn.create", challenge: challenge), attestationObject: attestation, expectedChallenge: challenge)
        ) { error in
            guard case .malformedPublicKey = error as? WebAuthnError else { return XCTFail("\(error)") }
        }
    }

    func testClientDataThatIsNotJSONIsRefused() throws {
        let registration = try register(try SoftAuthenticator.make(.es256))
        XCTAssertThrowsError(try verifier.verifyAssertion(
            clientDataJSON: Array("not json".utf8), authenticatorData: [], signature: [], expectedChallenge: challenge,
            publicKey: registration.publicKey, stored: registration.state)
        ) { error in
            guard case .malformedClientData = error as? WebAuthnError else { return XCTFail("\(error)") }
        }
    }

    func testARegistrationResponseCannotBeUsedAsAnAssertion() throws {
        let authenticator = try SoftAuthenticator.make(.es256)
        let registration = try register(authenticator)
        let client = clientData("webauthn.create", challenge: challenge)
        let data = authenticator.authData(rpID: "localhost", attested: false)
        let signature = try authenticator.sign(Data(data) + Data(SHA256.hash(data: Data(client))))
        XCTAssertThrowsError(try verifier.verifyAssertion(
            clientDataJSON: client, authenticatorData: data, signature: signature, expectedChallenge: challenge,
            publicKey: registration.publicKey, stored: registration.state)
        ) { XCTAssertEqual($0 as? WebAuthnError, .wrongCeremony) }
    }
}
