import ReverifyCore
import XCTest

final class TOTPRulesTests: XCTestCase {
    func testStepIsUnixTimeDividedByThirtySeconds() {
        // RFC 6238 appendix B: T = 0000000000000001 at 59 s, 00000000023523EC at 1111111109 s.
        XCTAssertEqual(TOTPRules.step(at: UnixTime(59)), 1)
        XCTAssertEqual(TOTPRules.step(at: UnixTime(1_111_111_109)), 0x23523EC)
        XCTAssertEqual(TOTPRules.step(at: UnixTime(60)), 2)
    }

    func testOneStepOfDriftEitherWayIsAcceptableNewestFirst() {
        let steps = TOTPRules.acceptableSteps(at: UnixTime(3000))
        XCTAssertEqual(steps, [101, 100, 99])
    }

    func testCodeOfTheStepTwoAwayDoesNotMatch() {
        let codes: [Int64: String] = [98: "111111", 99: "222222", 100: "333333", 101: "444444", 102: "555555"]
        let now = UnixTime(3000)  // step 100
        XCTAssertEqual(TOTPRules.matchingStep("222222", at: now) { codes[$0]! }, 99)
        XCTAssertEqual(TOTPRules.matchingStep("444444", at: now) { codes[$0]! }, 101)
        XCTAssertNil(TOTPRules.matchingStep("111111", at: now) { codes[$0]! })
        XCTAssertNil(TOTPRules.matchingStep("555555", at: now) { codes[$0]! })
    }

    func testWhenTwoStepsShareACodeTheNewestWins() {
        XCTAssertEqual(TOTPRules.matchingStep("000000", at: UnixTime(3000)) { _ in "000000" }, 101)
    }

    func testAStepIsUsableOnlyAfterTheLastUsedOne() {
        XCTAssertTrue(TOTPRules.isUnused(step: 5, lastUsedStep: nil))
        XCTAssertTrue(TOTPRules.isUnused(step: 6, lastUsedStep: 5))
        XCTAssertFalse(TOTPRules.isUnused(step: 5, lastUsedStep: 5))
        XCTAssertFalse(TOTPRules.isUnused(step: 4, lastUsedStep: 5))
    }

    func testTypedCodesAreSixDigitsWithOptionalSpaces() {
        XCTAssertEqual(TOTPRules.normalizedCode("123 456"), "123456")
        XCTAssertNil(TOTPRules.normalizedCode("12345"))
        XCTAssertNil(TOTPRules.normalizedCode("1234567"))
        XCTAssertNil(TOTPRules.normalizedCode("12345a"))
        XCTAssertNil(TOTPRules.normalizedCode("١٢٣٤٥٦"), "non-ASCII digits are refused")
    }

    func testComputedCodesAreZeroPadded() {
        XCTAssertEqual(TOTPRules.formatted(7), "000007")
        XCTAssertEqual(TOTPRules.formatted(287_082), "287082")
    }

    func testAuthenticatorAppWithPasswordMakesMFAButWithEmailCodeDoesNot() {
        var history = VerificationHistory()
        _ = history.record(.password, at: UnixTime(1000), window: .minutes(15))
        let (amr, acr) = history.record(.totp, at: UnixTime(1100), window: .minutes(15))
        XCTAssertEqual(amr, [.otp, .mfa])
        XCTAssertEqual(acr, .multiFactor)

        var emailOnly = VerificationHistory()
        _ = emailOnly.record(.emailCode, at: UnixTime(1000), window: .minutes(15))
        XCTAssertEqual(emailOnly.record(.totp, at: UnixTime(1100), window: .minutes(15)).acr, .singleFactor)
    }

    func testAccountChangesNeedAVerificationWithinFiveMinutes() {
        XCTAssertTrue(AccountSecurityRules.mayChangeFactors(authTime: UnixTime(1000), now: UnixTime(1300)))
        XCTAssertFalse(AccountSecurityRules.mayChangeFactors(authTime: UnixTime(1000), now: UnixTime(1301)))
    }

    func testReturnPathsStayOnTheSecurityPages() {
        XCTAssertEqual(AccountSecurityRules.returnPath("/account/security/totp/fac_1"), "/account/security/totp/fac_1")
        XCTAssertEqual(AccountSecurityRules.returnPath("https://evil.example/"), "/account/security")
        XCTAssertEqual(AccountSecurityRules.returnPath("/account/security//evil.example"), "/account/security")
        XCTAssertEqual(AccountSecurityRules.returnPath("/account/securityx"), "/account/security")
        XCTAssertEqual(AccountSecurityRules.returnPath(nil), "/account/security")
    }

    func testFactorNamesAreTrimmedAndBounded() {
        XCTAssertEqual(AccountSecurityRules.factorName("  Work phone \n"), "Work phone")
        XCTAssertNil(AccountSecurityRules.factorName("   "))
        XCTAssertNil(AccountSecurityRules.factorName(String(repeating: "x", count: 65)))
    }
}
