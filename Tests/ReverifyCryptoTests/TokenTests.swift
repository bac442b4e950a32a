import Foundation
import JWTKit
import ReverifyCore
import ReverifyCrypto
import XCTest

final class OpaqueTokenTests: XCTestCase {
    func testTokensAre256BitsAndDistinct() {
        let a = OpaqueToken.generate(), b = OpaqueToken.generate()
        XCTAssertEqual(a.value.count, 43)  // 32 bytes, base64url without padding
        XCTAssertNotEqual(a.value, b.value)
    }

    func testSecureRandomReturnsTheRequestedCountAndVaries() {
        for length in [0, 1, 7, 8, 9, 16, 31, 32, 33] { XCTAssertEqual(SecureRandom.bytes(length).count, length) }
        XCTAssertNotEqual(SecureRandom.bytes(32), SecureRandom.bytes(32))
    }

    func testIdentifiersAre128BitsOfLowerCaseHex() {
        let id = IdentifierGenerator.make(prefix: "usr")
        XCTAssertEqual(id.count, "usr_".count + 32)
        XCTAssertTrue(id.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) })
        XCTAssertNotEqual(id, IdentifierGenerator.make(prefix: "usr"))
    }

    func testPrefixIsKept() {
        XCTAssertTrue(OpaqueToken.generate(prefix: "rvc").value.hasPrefix("rvc_"))
    }

    func testHashIsSHA256Hex() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        XCTAssertEqual(TokenHash(of: "abc").hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testHashMatchesOnlyItsSecret() {
        let token = OpaqueToken.generate()
        XCTAssertTrue(token.hash.matches(token.value))
        XCTAssertFalse(token.hash.matches(token.value + "x"))
    }

    func testDescriptionNeverRevealsTheSecret() {
        let token = OpaqueToken.generate()
        XCTAssertFalse("\(token)".contains(token.value))
    }

    func testConstantTimeEquality() {
        XCTAssertTrue(ConstantTime.equals("abc", "abc"))
        XCTAssertFalse(ConstantTime.equals("abc", "abd"))
        XCTAssertFalse(ConstantTime.equals("abc", "abcd"))
    }
}

final class PKCEVerifierTests: XCTestCase {
    func testRFC7636AppendixBVector() throws {
        let challenge = try PKCEChallenge(challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", method: "S256")
        XCTAssertTrue(challenge.isSatisfied(by: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
        XCTAssertFalse(challenge.isSatisfied(by: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK"))
    }
}

final class KeyRingTests: XCTestCase {
    struct Claims: JWTPayload, Equatable {
        let sub: String
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    func testKidIsTheRFC7638Thumbprint() throws {
        let key = try SigningKeyMaterial.generate()
        let jwk = try key.publicJWK()
        XCTAssertEqual(jwk.keyIdentifier?.string, key.kid)
        XCTAssertEqual(key.kid.count, 43)
    }

    func testSignedTokenCarriesKidAndTypeAndVerifies() async throws {
        let ring = try await KeyRing(active: try SigningKeyMaterial.generate(), published: [])
        let token = try await ring.sign(Claims(sub: "usr_1"), type: "at+jwt")
        let header = try JSONSerialization.jsonObject(
            with: Data(base64URL: String(token.split(separator: ".")[0]))!) as! [String: String]
        XCTAssertEqual(header["kid"], ring.active.kid)
        XCTAssertEqual(header["typ"], "at+jwt")
        XCTAssertEqual(header["alg"], "ES256")
        let verified = try await ring.verify(token, as: Claims.self)
        XCTAssertEqual(verified, Claims(sub: "usr_1"))
    }

    func testRotationKeepsOldTokensVerifiable() async throws {
        let old = try SigningKeyMaterial.generate()
        let before = try await KeyRing(active: old, published: [old])
        let token = try await before.sign(Claims(sub: "usr_1"))
        let new = try SigningKeyMaterial.generate()
        let after = try await KeyRing(active: new, published: [new, old])
        XCTAssertEqual(Set(try after.jwks().keys.compactMap { $0.keyIdentifier?.string }), [old.kid, new.kid])
        _ = try await after.verify(token, as: Claims.self)
        let fresh = try await after.sign(Claims(sub: "usr_2"))
        XCTAssertEqual(try kid(of: fresh), new.kid)
    }

    private func kid(of token: String) throws -> String? {
        let header = try JSONSerialization.jsonObject(with: Data(base64URL: String(token.split(separator: ".")[0]))!)
        return (header as? [String: String])?["kid"]
    }

    func testRS256KeySignsWhenAskedAndPublishesAnRSAJWK() async throws {
        let es = try SigningKeyMaterial.generate(.es256)
        let rs = try SigningKeyMaterial.generate(.rs256)
        let ring = try await KeyRing(active: es, rs, published: [])
        let token = try await ring.sign(Claims(sub: "usr_1"), algorithm: .rs256)
        XCTAssertEqual(try kid(of: token), rs.kid)
        _ = try await ring.verify(token, as: Claims.self)
        let defaultSigned = try await ring.sign(Claims(sub: "usr_1"))
        XCTAssertEqual(try kid(of: defaultSigned), es.kid, "ES256 stays the default")
        let jwk = try XCTUnwrap(try ring.jwks().keys.first { $0.keyIdentifier?.string == rs.kid })
        XCTAssertEqual(jwk.keyType, .rsa)
        XCTAssertEqual(jwk.exponent, "AQAB")
        XCTAssertNil(jwk.privateExponent)
    }

    func testTokenFromUnknownKeyIsRejected() async throws {
        let stranger = try await KeyRing(active: try SigningKeyMaterial.generate(), published: [])
        let ring = try await KeyRing(active: try SigningKeyMaterial.generate(), published: [])
        let token = try await stranger.sign(Claims(sub: "usr_1"))
        do {
            _ = try await ring.verify(token, as: Claims.self)
            XCTFail("a token from another key must not verify")
        } catch {}
    }
}

extension Data {
    init?(base64URL: String) {
        var s = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        self.init(base64Encoded: s)
    }
}
