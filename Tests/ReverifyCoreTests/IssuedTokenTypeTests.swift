import ReverifyCore
import XCTest

/// Telling ID tokens from access tokens by their JOSE `typ` (issue 9 item 12, RFC 8725 3.11).
final class IssuedTokenTypeTests: XCTestCase {
    func testJWTIsAnIDToken() {
        XCTAssertEqual(IssuedTokenType(typ: "JWT"), .idToken)
        XCTAssertEqual(IssuedTokenType(typ: "jwt"), .idToken)
        XCTAssertEqual(IssuedTokenType(typ: "application/jwt"), .idToken)
    }

    func testAtJWTIsAnAccessToken() {
        XCTAssertEqual(IssuedTokenType(typ: "at+jwt"), .accessToken)
        XCTAssertEqual(IssuedTokenType(typ: "application/AT+JWT"), .accessToken)
    }

    func testAnythingElseIsUnknown() {
        XCTAssertEqual(IssuedTokenType(typ: nil), .unknown)
        XCTAssertEqual(IssuedTokenType(typ: "logout+jwt"), .unknown)
        XCTAssertEqual(IssuedTokenType(typ: ""), .unknown)
    }
}
