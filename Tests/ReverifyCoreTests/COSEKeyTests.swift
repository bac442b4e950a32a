import ReverifyCore
import XCTest

/// RFC 9052/9053/8230 COSE keys for ES256, EdDSA and RS256: type, curve, algorithm and sizes must agree.
final class COSEKeyTests: XCTestCase {
    private typealias F = WebAuthnFixture

    private func key(_ item: CBOR) throws -> COSEKey { try COSEKey(item, encoded: CBOREncoder.encode(item)) }

    private func assertMalformed(_ item: CBOR, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try key(item), file: file, line: line) { error in
            guard case .malformedPublicKey = error as? WebAuthnError else {
                return XCTFail("expected malformedPublicKey, got \(error)", file: file, line: line)
            }
        }
    }

    func testAcceptsAP256Key() throws {
        let parsed = try key(F.p256Key())
        XCTAssertEqual(parsed.algorithm, .es256)
        XCTAssertEqual(parsed.material, .p256(x: .init(repeating: 1, count: 32), y: .init(repeating: 2, count: 32)))
    }

    func testAlgorithmsAreNamedAsInJOSE() {
        XCTAssertEqual(COSEAlgorithm.allCases.map(\.name), ["ES256", "EdDSA", "RS256"])
    }

    func testAcceptsAnEd25519Key() throws {
        XCTAssertEqual(try key(F.ed25519Key()).material, .ed25519(x: .init(repeating: 3, count: 32)))
    }

    func testAcceptsAnRSAKey() throws {
        XCTAssertEqual(try key(F.rsaKey()).algorithm, .rs256)
    }

    func testStoredBytesDecodeToTheSameKey() throws {
        let parsed = try key(F.p256Key())
        XCTAssertEqual(try COSEKey(encoded: parsed.encoded), parsed)
    }

    func testUnsupportedAlgorithmsAreRefused() {
        for alg: Int64 in [-35, -36, -37, -65535, 1] {
            XCTAssertThrowsError(try key(F.p256Key(alg: alg))) { XCTAssertEqual($0 as? WebAuthnError, .unsupportedAlgorithm(alg)) }
        }
    }

    func testKeyTypeMustMatchTheAlgorithm() {
        assertMalformed(F.p256Key(kty: 1))
        assertMalformed(F.p256Key(kty: 3))
    }

    func testP256KeysNeedCurveP256AndExactCoordinates() {
        assertMalformed(F.p256Key(crv: 2))
        assertMalformed(F.p256Key(x: .init(repeating: 1, count: 31)))
        assertMalformed(F.p256Key(y: .init(repeating: 1, count: 33)))
        assertMalformed(.map([F.entry(1, CBOR(2)), F.entry(3, CBOR(-7)), F.entry(-1, CBOR(1)), F.entry(-2, .bytes(.init(repeating: 1, count: 32)))]))
    }

    func testPrivateKeyMaterialIsRefused() {
        assertMalformed(F.p256Key(extra: [F.entry(-4, .bytes(.init(repeating: 9, count: 32)))]))
        assertMalformed(.map([F.entry(1, CBOR(1)), F.entry(3, CBOR(-8)), F.entry(-1, CBOR(6)), F.entry(-2, .bytes(.init(repeating: 3, count: 32))), F.entry(-4, .bytes([1]))]))
        assertMalformed(.map([F.entry(1, CBOR(3)), F.entry(3, CBOR(-257)), F.entry(-1, .bytes([0xC1] + .init(repeating: 5, count: 255))), F.entry(-2, .bytes([1, 0, 1])), F.entry(-3, .bytes([7]))]))
    }

    func testEd25519KeysNeedCurveEd25519() {
        assertMalformed(F.ed25519Key(crv: 7))
        assertMalformed(F.ed25519Key(x: .init(repeating: 3, count: 57)))
    }

    func testRSAKeysNeedAtLeast2048BitsAndAnOddExponent() {
        assertMalformed(F.rsaKey(n: [0xC1] + .init(repeating: 5, count: 127)))
        assertMalformed(F.rsaKey(n: [0x00] + .init(repeating: 5, count: 256)))
        assertMalformed(F.rsaKey(e: [1, 0, 0]))
        assertMalformed(F.rsaKey(e: []))
        assertMalformed(F.rsaKey(e: [0, 1, 0, 1]))
    }

    func testAKeyThatIsNotAMapIsRefused() {
        assertMalformed(.array([CBOR(1)]))
        XCTAssertThrowsError(try COSEKey(encoded: [0xA1, 0x01])) { error in
            guard case .malformedPublicKey = error as? WebAuthnError else { return XCTFail("\(error)") }
        }
    }
}
