import ReverifyCore
import XCTest

/// WebAuthn L3 6.1 authenticator data: fixed header, attested credential data when AT, extensions when ED.
final class AuthenticatorDataTests: XCTestCase {
    private typealias F = WebAuthnFixture

    private func assertMalformed(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try AuthenticatorData(bytes), file: file, line: line) { error in
            switch error as? WebAuthnError {
            case .malformedAuthenticatorData?, .malformedPublicKey?: break
            default: XCTFail("expected a malformed error, got \(error)", file: file, line: line)
            }
        }
    }

    func testParsesTheHeader() throws {
        let data = try AuthenticatorData(F.authData(flags: [.userPresent, .userVerified, .backupEligible, .backedUp], signCount: 0x0102_0304))
        XCTAssertEqual(data.rpIDHash, F.rpIDHash)
        XCTAssertEqual(data.flags, [.userPresent, .userVerified, .backupEligible, .backedUp])
        XCTAssertEqual(data.signCount, 0x0102_0304)
        XCTAssertNil(data.attestedCredential)
        XCTAssertNil(data.extensions)
    }

    func testParsesAttestedCredentialData() throws {
        let data = try AuthenticatorData(F.registrationAuthData())
        XCTAssertEqual(data.attestedCredential?.credentialID, F.credentialID)
        XCTAssertEqual(data.attestedCredential?.aaguid, F.aaguid)
        XCTAssertEqual(data.attestedCredential?.publicKey.encoded, CBOREncoder.encode(F.p256Key()))
    }

    func testParsesExtensionsAfterTheCredential() throws {
        let extensions: CBOR = .map([.init(key: .text("credProtect"), value: .unsigned(2))])
        let data = try AuthenticatorData(F.authData(credentialID: F.credentialID, extensions: extensions))
        XCTAssertEqual(data.extensions, extensions)
        XCTAssertNotNil(data.attestedCredential)
    }

    func testShortDataIsRefused() {
        assertMalformed(Array(F.authData().prefix(36)))
    }

    func testBackedUpWithoutBackupEligibleIsRefused() {
        assertMalformed(F.authData(flags: [.userPresent, .backedUp]))
    }

    func testTrailingBytesAreRefused() {
        assertMalformed(F.authData() + [0])
        assertMalformed(F.registrationAuthData() + [0])
    }

    func testATFlagWithoutCredentialIsRefused() {
        assertMalformed(F.authData(flags: [.userPresent, .attestedCredentialData]))
    }

    func testEDFlagWithoutAMapIsRefused() {
        assertMalformed(F.authData(flags: [.userPresent, .extensionData]))
        assertMalformed(F.authData(flags: [.userPresent, .extensionData]) + CBOREncoder.encode(.array([])))
    }

    func testCredentialIDLengthIsBounded() {
        assertMalformed(F.authData(credentialID: []))
        assertMalformed(F.authData(credentialID: .init(repeating: 1, count: 1024)))
        XCTAssertNoThrow(try AuthenticatorData(F.authData(credentialID: .init(repeating: 1, count: 1023))))
    }

    func testATruncatedCredentialIsRefused() {
        let full = F.registrationAuthData()
        for cut in [38, 37 + 17, 37 + 18 + 10, full.count - 1] {
            assertMalformed(Array(full.prefix(cut)))
        }
    }

    func testAMalformedKeyInTheCredentialIsRefused() {
        assertMalformed(F.authData(credentialID: F.credentialID, key: F.p256Key(crv: 2)))
    }
}
