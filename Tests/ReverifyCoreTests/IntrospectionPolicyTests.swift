import ReverifyCore
import XCTest

/// Who may introspect which token (issue 9 item 10, RFC 7662 4).
final class IntrospectionPolicyTests: XCTestCase {
    private let issuer = "https://reverify.example.com"
    private let app = ClientID(rawValue: "cli_app")
    private let other = ClientID(rawValue: "cli_other")

    private func allows(
        caller: ClientID, resourceServer: Bool = false, kind: IntrospectionPolicy.TokenKind = .accessToken,
        audience: [String]? = nil
    ) -> Bool {
        IntrospectionPolicy.allows(
            caller: caller, callerIsResourceServer: resourceServer, tokenClient: app, kind: kind,
            audience: audience ?? (kind == .accessToken ? [issuer] : []), servedAudience: issuer)
    }

    func testTheTokensOwnClientMayIntrospectIt() {
        XCTAssertTrue(allows(caller: app))
        XCTAssertTrue(allows(caller: app, kind: .refreshToken))
    }

    func testAnotherClientMayNot() {
        XCTAssertFalse(allows(caller: other))
        XCTAssertFalse(allows(caller: other, kind: .refreshToken))
    }

    func testAResourceServerMayIntrospectAccessTokensForItsAudience() {
        XCTAssertTrue(allows(caller: other, resourceServer: true))
    }

    func testAResourceServerMayNotIntrospectTokensForAnotherAudience() {
        XCTAssertFalse(allows(caller: other, resourceServer: true, audience: ["https://elsewhere.example.com"]))
    }

    func testAResourceServerMayNotIntrospectAnotherClientsRefreshToken() {
        XCTAssertFalse(allows(caller: other, resourceServer: true, kind: .refreshToken))
    }
}
