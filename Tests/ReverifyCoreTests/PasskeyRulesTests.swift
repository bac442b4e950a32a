import Foundation
import ReverifyCore
import XCTest

/// WebAuthn L3 5.8.1 client data, checked for both ceremonies.
final class CollectedClientDataTests: XCTestCase {
    private let origin = "http://localhost:8080"

    private func check(
        _ data: CollectedClientData, ceremony: WebAuthnCeremony = .authentication
    ) throws { try data.check(ceremony: ceremony, expectedChallenge: "abc", origin: origin) }

    private func assertRefused(_ data: CollectedClientData, _ expected: WebAuthnError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try check(data), file: file, line: line) { XCTAssertEqual($0 as? WebAuthnError, expected, file: file, line: line) }
    }

    func testMatchingClientDataPasses() {
        XCTAssertNoThrow(try check(CollectedClientData(type: "webauthn.get", challenge: "abc", origin: origin, crossOrigin: false)))
        XCTAssertNoThrow(try check(CollectedClientData(type: "webauthn.create", challenge: "abc", origin: origin), ceremony: .registration))
    }

    func testTheOtherCeremonysTypeIsRefused() {
        assertRefused(CollectedClientData(type: "webauthn.create", challenge: "abc", origin: origin), .wrongCeremony)
        assertRefused(CollectedClientData(type: "payment.get", challenge: "abc", origin: origin), .wrongCeremony)
    }

    func testAnotherChallengeIsRefused() {
        assertRefused(CollectedClientData(type: "webauthn.get", challenge: "abd", origin: origin), .challengeMismatch)
        assertRefused(CollectedClientData(type: "webauthn.get", challenge: "abc=", origin: origin), .challengeMismatch)
    }

    func testTheOriginMustMatchExactly() {
        for other in ["http://localhost:8081", "https://localhost:8080", "http://evil.localhost:8080", "http://localhost:8080/", "http://127.0.0.1:8080", "HTTP://localhost:8080"] {
            assertRefused(CollectedClientData(type: "webauthn.get", challenge: "abc", origin: other), .originMismatch)
        }
    }

    func testCrossOriginUseIsRefused() {
        assertRefused(CollectedClientData(type: "webauthn.get", challenge: "abc", origin: origin, crossOrigin: true, topOrigin: "https://evil.example"), .crossOrigin)
    }

    func testUnknownMembersAndTokenBindingAreIgnored() throws {
        let json = #"{"type":"webauthn.get","challenge":"abc","origin":"http://localhost:8080","tokenBinding":{"status":"present","id":"x"},"other_keys_can_be_added_here":"x"}"#
        let data = try JSONDecoder().decode(CollectedClientData.self, from: Data(json.utf8))
        XCTAssertNoThrow(try check(data))
    }
}

/// WebAuthn L3 8.7: only `none` attestation, with an empty statement.
final class AttestationObjectTests: XCTestCase {
    private typealias F = WebAuthnFixture

    func testNoneAttestationParses() throws {
        let object = try AttestationObject(F.attestationObject())
        XCTAssertEqual(object.format, "none")
        XCTAssertEqual(object.authenticatorData.attestedCredential?.credentialID, F.credentialID)
    }

    func testOtherFormatsAreRefusedByName() {
        for fmt in ["packed", "tpm", "android-key", "fido-u2f", "apple"] {
            XCTAssertThrowsError(try AttestationObject(F.attestationObject(fmt: fmt))) {
                XCTAssertEqual($0 as? WebAuthnError, .unsupportedAttestationFormat(fmt))
            }
        }
    }

    func testANoneStatementMustBeEmpty() {
        XCTAssertThrowsError(try AttestationObject(F.attestationObject(attStmt: .map([.init(key: .text("sig"), value: .bytes([1]))]))))
    }

    func testMissingOrExtraMembersAreRefused() {
        let bad: [[UInt8]] = [
            CBOREncoder.encode(.map([.init(key: .text("fmt"), value: .text("none"))])),
            F.attestationObject(extra: [.init(key: .text("ep"), value: .bool(true))]),
            CBOREncoder.encode(.array([])),
            F.attestationObject() + [0],
        ]
        for bytes in bad {
            XCTAssertThrowsError(try AttestationObject(bytes)) { error in
                guard case .malformedAttestationObject = error as? WebAuthnError else { return XCTFail("\(error)") }
            }
        }
    }
}

/// WebAuthn L3 7.1 and 7.2 authenticator-data rules.
final class PasskeyRulesTests: XCTestCase {
    private typealias F = WebAuthnFixture
    private let stored = PasskeyState(signCount: 5, backupEligible: false, backedUp: false)

    private func registration(_ bytes: [UInt8]) throws -> AttestedCredentialData {
        try PasskeyRules.checkRegistration(try AuthenticatorData(bytes), rpIDHash: F.rpIDHash)
    }

    private func assertion(_ bytes: [UInt8], stored: PasskeyState? = nil) throws -> PasskeyState {
        let data = try AuthenticatorData(bytes)
        try PasskeyRules.checkAssertion(data, rpIDHash: F.rpIDHash, stored: stored ?? self.stored)
        return try PasskeyRules.advance(stored ?? self.stored, with: data)
    }

    func testARegistrationWithUPAndUVPasses() throws {
        XCTAssertEqual(try registration(F.registrationAuthData()).credentialID, F.credentialID)
    }

    func testARegistrationForAnotherRPIDIsRefused() {
        let bytes = F.authData(rpIDHash: .init(repeating: 0xAC, count: 32), credentialID: F.credentialID)
        XCTAssertThrowsError(try registration(bytes)) { XCTAssertEqual($0 as? WebAuthnError, .rpIDMismatch) }
    }

    func testARegistrationWithoutUserPresenceIsRefused() {
        XCTAssertThrowsError(try registration(F.registrationAuthData(flags: [.userVerified]))) {
            XCTAssertEqual($0 as? WebAuthnError, .userNotPresent)
        }
    }

    func testARegistrationWithoutUserVerificationIsRefused() {
        XCTAssertThrowsError(try registration(F.registrationAuthData(flags: [.userPresent]))) {
            XCTAssertEqual($0 as? WebAuthnError, .userNotVerified)
        }
    }

    func testARegistrationWithoutACredentialIsRefused() {
        XCTAssertThrowsError(try registration(F.authData())) { XCTAssertEqual($0 as? WebAuthnError, .missingCredential) }
    }

    func testAnAssertionWithAHigherCounterPassesAndAdvances() throws {
        XCTAssertEqual(try assertion(F.authData(signCount: 6)), PasskeyState(signCount: 6, backupEligible: false, backedUp: false))
    }

    func testAnAssertionForAnotherRPIDIsRefused() {
        XCTAssertThrowsError(try assertion(F.authData(rpIDHash: .init(repeating: 0, count: 32), signCount: 6))) {
            XCTAssertEqual($0 as? WebAuthnError, .rpIDMismatch)
        }
    }

    func testAnAssertionWithoutUPOrUVIsRefused() {
        XCTAssertThrowsError(try assertion(F.authData(flags: [.userPresent], signCount: 6))) { XCTAssertEqual($0 as? WebAuthnError, .userNotVerified) }
        XCTAssertThrowsError(try assertion(F.authData(flags: [.userVerified], signCount: 6))) { XCTAssertEqual($0 as? WebAuthnError, .userNotPresent) }
    }

    func testAnAssertionWithAttestedCredentialDataIsRefused() {
        XCTAssertThrowsError(try assertion(F.authData(signCount: 6, credentialID: F.credentialID))) { error in
            guard case .malformedAuthenticatorData = error as? WebAuthnError else { return XCTFail("\(error)") }
        }
    }

    func testABackupEligibilityChangeIsRefused() {
        XCTAssertThrowsError(try assertion(F.authData(flags: [.userPresent, .userVerified, .backupEligible], signCount: 6))) {
            XCTAssertEqual($0 as? WebAuthnError, .backupEligibilityChanged)
        }
    }

    func testTheBackedUpStateMayChange() throws {
        let synced = PasskeyState(signCount: 0, backupEligible: true, backedUp: false)
        let next = try assertion(F.authData(flags: [.userPresent, .userVerified, .backupEligible, .backedUp]), stored: synced)
        XCTAssertTrue(next.backedUp)
    }

    func testACounterThatDoesNotAdvanceIsAPossibleClone() {
        for received: UInt32 in [5, 4, 0] {
            XCTAssertThrowsError(try assertion(F.authData(signCount: received))) {
                XCTAssertEqual($0 as? WebAuthnError, .signCountRollback(stored: 5, received: received))
            }
        }
    }

    func testCountersThatAreBothZeroAreNotCounted() {
        XCTAssertTrue(PasskeyRules.signCountAdvances(stored: 0, received: 0))
        XCTAssertTrue(PasskeyRules.signCountAdvances(stored: 0, received: 1))
        XCTAssertFalse(PasskeyRules.signCountAdvances(stored: 1, received: 0))
        XCTAssertFalse(PasskeyRules.signCountAdvances(stored: UInt32.max, received: UInt32.max))
    }

    func testAmrNamesTheKeyKindAndUserVerification() {
        XCTAssertEqual(PasskeyAssurance.amr(backupEligible: false, userVerified: true), [.hwk, .user])
        XCTAssertEqual(PasskeyAssurance.amr(backupEligible: true, userVerified: true), [.swk, .user])
        XCTAssertEqual(PasskeyAssurance.amr(backupEligible: true, userVerified: false), [.swk])
    }

    func testEveryErrorHasAReasonAndAMessage() {
        let errors: [WebAuthnError] = [.wrongCeremony, .signCountRollback(stored: 1, received: 1), .badSignature, .unknownCredential]
        for error in errors {
            XCTAssertTrue(error.reason.hasPrefix("passkey_"))
            XCTAssertFalse(error.message.isEmpty)
        }
        XCTAssertEqual(WebAuthnError.signCountRollback(stored: 1, received: 1).reason, "passkey_possible_clone")
    }
}
