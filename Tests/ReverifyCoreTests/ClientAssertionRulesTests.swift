import ReverifyCore
import XCTest

final class ClientAssertionRulesTests: XCTestCase {
    private let client = ClientID(rawValue: "cli_agent")
    private let audiences: Set<String> = ["https://reverify.example", "https://reverify.example/oauth2/token"]

    /// An assertion as a well-behaved client signs it, with each claim overridable (offsets from `now`).
    private func claims(
        iss: String? = "cli_agent", sub: String? = "cli_agent", aud: [String] = ["https://reverify.example/oauth2/token"],
        exp: Int64? = 120, iat: Int64? = 0, nbf: Int64? = nil, jti: String? = "j1"
    ) -> ClientAssertionClaims {
        let now = Fixture.now.rawValue
        return ClientAssertionClaims(
            iss: iss, sub: sub, aud: aud, exp: exp.map { now + $0 }, iat: iat.map { now + $0 }, nbf: nbf.map { now + $0 },
            jti: jti)
    }

    private func problem(_ claims: ClientAssertionClaims) -> ClientAssertionProblem? {
        ClientAssertionRules.problem(claims, clientID: client, audiences: audiences, now: Fixture.now)
    }

    func testAWellFormedAssertionForTheTokenEndpointOrTheIssuerPasses() {
        XCTAssertNil(problem(claims()))
        XCTAssertNil(problem(claims(aud: ["https://reverify.example"])))
        XCTAssertNil(problem(claims(aud: ["https://elsewhere.example", "https://reverify.example"])))
    }

    func testEachBrokenClaimIsRefusedWithItsOwnReason() {
        let table: [(ClientAssertionClaims, ClientAssertionProblem)] = [
            (claims(iss: "cli_other"), .issuerMismatch), (claims(iss: nil), .issuerMismatch),
            (claims(sub: "cli_other"), .subjectMismatch), (claims(sub: nil), .subjectMismatch),
            (claims(aud: ["https://reverify.example/oauth2/introspect"]), .wrongAudience), (claims(aud: []), .wrongAudience),
            (claims(exp: nil), .missingExpiry), (claims(exp: 0), .expired), (claims(exp: -1), .expired),
            (claims(exp: 301), .expiryTooFar), (claims(iat: nil), .missingIssuedAt), (claims(iat: 31), .issuedInFuture),
            (claims(nbf: 31), .notYetValid), (claims(jti: nil), .missingJTI), (claims(jti: ""), .missingJTI),
            (claims(jti: String(repeating: "j", count: 257)), .missingJTI),
        ]
        for (bad, expected) in table {
            XCTAssertEqual(problem(bad), expected, "\(bad)")
        }
    }

    func testTheLimitsThemselvesAreAccepted() {
        XCTAssertNil(problem(claims(exp: 300)))
        XCTAssertNil(problem(claims(exp: 1)))
        XCTAssertNil(problem(claims(iat: 30, nbf: 30)))
        XCTAssertNil(problem(claims(iat: -3600)))
    }

    func testOnlyAsymmetricAlgorithmsAreAccepted() {
        XCTAssertEqual(ClientAssertionRules.algorithms, ["ES256", "EdDSA", "RS256"])
    }
}
