import ReverifyCore
import XCTest

final class ClaimsSelectionTests: XCTestCase {
    func testScopesReleaseTheirClaimsInBothTargets() {
        for target in [ClaimsTarget.idToken, .userinfo] {
            XCTAssertEqual(
                ClaimsSelection.claims(for: target, scopes: ["openid", "email"], request: nil), [.email, .emailVerified])
            XCTAssertTrue(ClaimsSelection.claims(for: target, scopes: ["openid", "profile"], request: nil).contains(.givenName))
        }
    }

    func testTheClaimsParameterAddsClaimsToItsTargetOnly() {
        let request = ClaimsRequest(idToken: ["email": nil], userinfo: ["family_name": ClaimRequest(essential: true)])
        XCTAssertEqual(ClaimsSelection.claims(for: .idToken, scopes: ["openid"], request: request), [.email])
        XCTAssertEqual(ClaimsSelection.claims(for: .userinfo, scopes: ["openid"], request: request), [.familyName])
    }

    func testClaimsReverifyDoesNotHoldAreNeverSelected() {
        let request = ClaimsRequest(idToken: ["phone_number": nil, "address": ClaimRequest(essential: true)])
        XCTAssertEqual(ClaimsSelection.claims(for: .idToken, scopes: ["openid"], request: request), [])
    }
}

final class RequestObjectRulesTests: XCTestCase {
    private let client = ClientID(rawValue: "cli_rp")
    private let issuer = "https://reverify.example"

    private func claims(
        iss: String? = "cli_rp", aud: [String] = ["https://reverify.example"], exp: Int64? = 120, jti: String? = "j1",
        clientID: String? = nil
    ) -> RequestObjectClaims {
        RequestObjectClaims(
            iss: iss, aud: aud, exp: exp.map { Fixture.now.rawValue + $0 }, iat: Fixture.now.rawValue, jti: jti, clientID: clientID)
    }

    func testAWellFormedObjectPasses() {
        XCTAssertNil(RequestObjectRules.problem(claims(), clientID: client, issuer: issuer, now: Fixture.now))
    }

    func testEachBrokenClaimIsNamed() {
        let table: [(RequestObjectClaims, String)] = [
            (claims(iss: "cli_other"), "iss"), (claims(iss: nil), "iss"), (claims(aud: ["https://other"]), "aud"),
            (claims(exp: nil), "exp is required"), (claims(exp: 0), "expired"), (claims(exp: 301), "5 minutes"),
            (claims(jti: nil), "jti"), (claims(jti: ""), "jti"), (claims(clientID: "cli_other"), "client_id"),
        ]
        for (bad, expected) in table {
            let problem = RequestObjectRules.problem(bad, clientID: client, issuer: issuer, now: Fixture.now)
            XCTAssertTrue(problem?.contains(expected) == true, "\(bad) → \(problem ?? "nil")")
        }
    }

    func testOnlyAsymmetricAlgorithmsAreAccepted() {
        XCTAssertFalse(RequestObjectRules.algorithms.contains("none"))
        XCTAssertFalse(RequestObjectRules.algorithms.contains("HS256"))
    }
}

final class RequestObjectMergeTests: XCTestCase {
    func testParametersInsideTheObjectWinOverTheURL() {
        let pairs: [(String, String?)] = [("client_id", "cli_rp"), ("max_age", "3600"), ("state", "s"), ("request", "x.y.z")]
        let url = RequestParameters(pairs)
        let merged = url.merging(requestObject: ["max_age": "0", "nonce": "n"], objectOnly: false)
        XCTAssertEqual(merged["max_age"], "0")
        XCTAssertEqual(merged["state"], "s")
        XCTAssertEqual(merged["nonce"], "n")
        XCTAssertNil(merged["request"])
    }

    func testAClientThatMustSignGetsOnlyItsClientIDFromTheURL() {
        let pairs: [(String, String?)] = [("client_id", "cli_rp"), ("prompt", "none"), ("request", "x.y.z")]
        let url = RequestParameters(pairs)
        let merged = url.merging(requestObject: ["scope": "openid"], objectOnly: true)
        XCTAssertNil(merged["prompt"])
        XCTAssertEqual(merged["client_id"], "cli_rp")
        XCTAssertEqual(merged["scope"], "openid")
    }
}
