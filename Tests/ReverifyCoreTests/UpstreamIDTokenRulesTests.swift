import ReverifyCore
import XCTest

/// OIDC Core 3.1.3.7 checks of an upstream ID token, and the freshness rule that makes delegated
/// re-verification mean something (issue 6).
final class UpstreamIDTokenRulesTests: XCTestCase {
    private let started = UnixTime(1_800_000_000)
    private var now: UnixTime { started + 20 }
    private var expected: UpstreamExpectation {
        UpstreamExpectation(issuer: "https://idp.example.com", clientID: "reverify", nonce: "n-123", startedAt: started, skew: 60)
    }

    private func claims(_ change: (inout UpstreamIDTokenClaims) -> Void = { _ in }) -> UpstreamIDTokenClaims {
        var c = UpstreamIDTokenClaims(
            issuer: "https://idp.example.com", subject: "sub-1", audience: ["reverify"], authorizedParty: nil,
            expiresAt: started + 300, issuedAt: started + 15, nonce: "n-123", authTime: started + 10, amr: ["pwd"])
        change(&c)
        return c
    }

    private func problem(_ change: (inout UpstreamIDTokenClaims) -> Void = { _ in }) -> UpstreamIDTokenProblem? {
        UpstreamIDTokenRules.problem(with: claims(change), expected: expected, now: now)
    }

    func testAFreshWellFormedTokenIsAccepted() {
        XCTAssertNil(problem())
    }

    func testIssuerMustMatchExactly() {
        XCTAssertEqual(problem { $0.issuer = "https://idp.example.com/" }, .wrongIssuer)
        XCTAssertEqual(problem { $0.issuer = "https://IDP.example.com" }, .wrongIssuer)
    }

    func testSubjectIsRequired() {
        XCTAssertEqual(problem { $0.subject = "" }, .missingSubject)
    }

    func testAudienceMustContainOurClientAndNothingUntrusted() {
        XCTAssertEqual(problem { $0.audience = ["someone-else"] }, .wrongAudience)
        XCTAssertEqual(problem { $0.audience = [] }, .wrongAudience)
        XCTAssertEqual(problem { $0.audience = ["reverify", "someone-else"] }, .wrongAudience)
    }

    func testAuthorizedPartyWhenPresentMustBeUs() {
        XCTAssertNil(problem { $0.authorizedParty = "reverify" })
        XCTAssertEqual(problem { $0.authorizedParty = "mobile-app" }, .wrongAuthorizedParty)
    }

    func testExpiryIsRequiredAndHonouredWithSkew() {
        XCTAssertEqual(problem { $0.expiresAt = nil }, .missingExpiry)
        XCTAssertNil(problem { $0.expiresAt = self.now - 59 }, "within the 60 s skew")
        XCTAssertEqual(problem { $0.expiresAt = self.now - 60 }, .expired)
    }

    func testIssuedAtIsRequiredAndNotInTheFuture() {
        XCTAssertEqual(problem { $0.issuedAt = nil }, .missingIssuedAt)
        XCTAssertNil(problem { $0.issuedAt = self.now + 60 })
        XCTAssertEqual(problem { $0.issuedAt = self.now + 61 }, .issuedInFuture)
    }

    func testNonceMustMatch() {
        XCTAssertEqual(problem { $0.nonce = nil }, .wrongNonce)
        XCTAssertEqual(problem { $0.nonce = "n-124" }, .wrongNonce)
        XCTAssertEqual(problem { $0.nonce = "n-12" }, .wrongNonce)
    }

    func testMissingAuthTimeIsAFailureNotASilentPass() {
        XCTAssertEqual(problem { $0.authTime = nil }, .missingAuthTime)
    }

    func testAuthTimeBeforeTheReauthStartedIsStale() {
        XCTAssertEqual(problem { $0.authTime = self.started - 3600 }, .staleAuthTime(age: 3600))
        XCTAssertEqual(problem { $0.authTime = self.started - 61 }, .staleAuthTime(age: 61))
        XCTAssertNil(problem { $0.authTime = self.started - 60 }, "clock skew is tolerated")
        XCTAssertNil(problem { $0.authTime = self.started })
    }

    func testAuthTimeInTheFutureIsRefused() {
        XCTAssertEqual(problem { $0.authTime = self.now + 61 }, .authTimeInFuture)
    }

    // MARK: NumericDate (issue 9 item 13): a signed token must not be able to crash the server

    func testNumericDateReadsWholeSecondsOfARealisticTime() {
        XCTAssertEqual(NumericDate(1_800_000_000), .time(UnixTime(1_800_000_000)))
        XCTAssertEqual(NumericDate(1_800_000_000.9), .time(UnixTime(1_800_000_000)), "fractions are allowed, truncated")
        XCTAssertEqual(NumericDate(Double(NumericDate.latest.rawValue)), .time(NumericDate.latest))
        XCTAssertEqual(NumericDate(nil), .absent)
    }

    func testNumericDateRefusesWhatIsNoUsableTime() {
        for value in [9_223_372_036_854_775_808.0, -9_223_372_036_854_775_808.0, 1e300, -1, .nan, .infinity,
                      Double(NumericDate.latest.rawValue) + 1] {
            XCTAssertEqual(NumericDate(value), .outOfRange, "\(value)")
        }
    }

    private func problem(exp: Double? = nil, iat: Double? = nil, authTime: Double? = nil) -> UpstreamIDTokenProblem? {
        var c = claims()
        c.readTimes(
            exp: exp ?? Double((started + 300).rawValue), iat: iat ?? Double((started + 15).rawValue),
            authTime: authTime ?? Double((started + 10).rawValue))
        return UpstreamIDTokenRules.problem(with: c, expected: expected, now: now)
    }

    func testTimesReadFromJSONNumbersAreAcceptedWhenSane() {
        XCTAssertNil(problem())
    }

    func testExpBeyondInt64IsRefusedNotTrapped() {
        XCTAssertEqual(problem(exp: 9_223_372_036_854_775_808.0), .timeOutOfRange(.expiresAt))
        XCTAssertEqual(problem(exp: 1e19), .timeOutOfRange(.expiresAt))
    }

    func testIatBeyondInt64IsRefused() {
        XCTAssertEqual(problem(iat: 9_223_372_036_854_775_808.0), .timeOutOfRange(.issuedAt))
        XCTAssertEqual(problem(iat: -5), .timeOutOfRange(.issuedAt))
    }

    func testAuthTimeBeyondInt64IsRefused() {
        XCTAssertEqual(problem(authTime: 9_223_372_036_854_775_808.0), .timeOutOfRange(.authTime))
    }

    func testAuthTimeOfZeroOrLessCountsAsMissing() {
        // Not "a sign-in from 1795756042s before": no provider authenticated anyone at or before 1970.
        XCTAssertEqual(problem(authTime: 0), .missingAuthTime)
        XCTAssertEqual(problem(authTime: -9_223_372_036_854_775_808.0), .missingAuthTime)
        XCTAssertEqual(problem(authTime: -1), .missingAuthTime)
    }

    func testChecksRunInSpecOrder() {
        // A token wrong in several ways reports the first step of OIDC Core 3.1.3.7 that fails.
        XCTAssertEqual(problem { $0.issuer = "x"; $0.nonce = "y"; $0.authTime = nil }, .wrongIssuer)
        XCTAssertEqual(problem { $0.nonce = "y"; $0.authTime = nil }, .wrongNonce)
    }

    func testAuditReasonsAreDistinct() {
        let all: [UpstreamIDTokenProblem] = [
            .wrongIssuer, .missingSubject, .wrongAudience, .wrongAuthorizedParty, .missingExpiry, .expired,
            .missingIssuedAt, .issuedInFuture, .wrongNonce, .missingAuthTime, .staleAuthTime(age: 5), .authTimeInFuture,
            .timeOutOfRange(.expiresAt),
        ]
        XCTAssertEqual(Set(all.map(\.auditReason)).count, all.count)
    }

    func testUpstreamAMRIsFilteredAndDeduplicated() {
        XCTAssertEqual(UpstreamIDTokenRules.passThroughAMR(["pwd", "otp", "pwd", "fed"]), ["pwd", "otp"])
        XCTAssertEqual(UpstreamIDTokenRules.passThroughAMR(["<script>", "", String(repeating: "a", count: 40)]), [])
        XCTAssertEqual(UpstreamIDTokenRules.passThroughAMR((0..<20).map { "v\($0)" }).count, 8)
    }

    func testFederatedVerificationRecordsFedFirstThenUpstreamValues() {
        var history = VerificationHistory()
        let (amr, acr) = history.record(.federated, at: started, window: 900, extraAMR: ["pwd", "mfa"])
        XCTAssertEqual(amr, ["fed", "pwd", "mfa"])
        XCTAssertEqual(acr, .singleFactor)
        // With a password verified in the window, mfa is claimed once, not twice.
        var both = VerificationHistory([.password: started - 10])
        XCTAssertEqual(both.record(.federated, at: started, window: 900, extraAMR: ["mfa"]).amr, ["fed", "mfa"])
    }

    func testEmailDomainRestriction() {
        XCTAssertTrue(UpstreamIDTokenRules.emailDomainAllowed("a@x.com", domains: []))
        XCTAssertTrue(UpstreamIDTokenRules.emailDomainAllowed("a@X.com", domains: ["x.com"]))
        XCTAssertFalse(UpstreamIDTokenRules.emailDomainAllowed("a@evil-x.com", domains: ["x.com"]))
        XCTAssertFalse(UpstreamIDTokenRules.emailDomainAllowed("a@x.com.evil", domains: ["x.com"]))
    }
}
