import Foundation
import ReverifyCore
import XCTest

final class VerificationHistoryTests: XCTestCase {
    func testSinglePasswordIsSingleFactorPwd() {
        var history = VerificationHistory()
        let result = history.record(.password, at: Fixture.now, window: 900)
        XCTAssertEqual(result.amr, [.pwd])
        XCTAssertEqual(result.acr, .singleFactor)
    }

    func testTwoDifferentFactorsWithinWindowAddMFA() {
        var history = VerificationHistory()
        _ = history.record(.password, at: Fixture.now, window: 900)
        let result = history.record(.emailCode, at: Fixture.now + Seconds(60), window: 900)
        XCTAssertEqual(result.amr, [.otp, .mfa])
        XCTAssertEqual(result.acr, .multiFactor)
    }

    func testFactorsFurtherApartThanTheWindowAreNotMFA() {
        var history = VerificationHistory()
        _ = history.record(.password, at: Fixture.now, window: 900)
        XCTAssertEqual(history.record(.magicLink, at: Fixture.now + Seconds(901), window: 900).amr, [.otp])
    }

    func testSameFactorTwiceIsNotMFA() {
        var history = VerificationHistory()
        _ = history.record(.emailCode, at: Fixture.now, window: 900)
        XCTAssertEqual(history.record(.magicLink, at: Fixture.now + Seconds(1), window: 900).amr, [.otp])
    }

    func testLocalPasswordThenUpstreamPasswordIsNotMFA() {
        var history = VerificationHistory()
        _ = history.record(.password, at: Fixture.now, window: 900)
        let result = history.record(.federated, at: Fixture.now + Seconds(30), window: 900, extraAMR: ["pwd"])
        XCTAssertEqual(result.acr, .singleFactor)
        XCTAssertFalse(result.amr.contains(.mfa))
    }

    func testUpstreamPasswordSpelledOutIsAKnowledgeFactor() {
        var history = VerificationHistory()
        _ = history.record(.password, at: Fixture.now, window: 900)
        XCTAssertEqual(history.record(.federated, at: Fixture.now + Seconds(1), window: 900, extraAMR: ["password"]).acr, .singleFactor)
    }

    func testUpstreamWithoutAMRProvesNoFactorKind() {
        var history = VerificationHistory()
        _ = history.record(.password, at: Fixture.now, window: 900)
        XCTAssertEqual(history.record(.federated, at: Fixture.now + Seconds(1), window: 900).acr, .singleFactor)
    }

    func testUpstreamPossessionFactorAfterPasswordIsMFA() {
        var history = VerificationHistory()
        _ = history.record(.password, at: Fixture.now, window: 900)
        let result = history.record(.federated, at: Fixture.now + Seconds(1), window: 900, extraAMR: ["otp"])
        XCTAssertEqual(result.amr, [.fed, .otp, .mfa])
        XCTAssertEqual(result.acr, .multiFactor)
    }

    func testUpstreamPasswordThenEmailedCodeIsMFA() {
        var history = VerificationHistory()
        _ = history.record(.federated, at: Fixture.now, window: 900, extraAMR: ["pwd"])
        XCTAssertEqual(history.record(.emailCode, at: Fixture.now + Seconds(1), window: 900).acr, .multiFactor)
    }

    func testUpstreamKnowledgeAndPossessionFactorsTogetherAreMultiFactor() {
        var history = VerificationHistory()
        let result = history.record(.federated, at: Fixture.now, window: 900, extraAMR: ["pwd", "otp"])
        XCTAssertEqual(result.amr, [.fed, .pwd, .otp, .mfa])
        XCTAssertEqual(result.acr, .multiFactor)
    }

    func testHistoryStoredBeforeFactorKindsDecodesFromItsMethods() throws {
        let stored = #"{"lastVerified":{"password":\#(Fixture.now.rawValue)}}"#
        var history = try JSONDecoder().decode(VerificationHistory.self, from: Data(stored.utf8))
        XCTAssertEqual(history.record(.emailCode, at: Fixture.now + Seconds(5), window: 900).acr, .multiFactor)
    }

    func testFederatedKeepsUpstreamAMRValues() {
        var history = VerificationHistory()
        XCTAssertEqual(history.record(.federated, at: Fixture.now, window: 900, extraAMR: ["hwk", "fed"]).amr, [.fed, "hwk"])
    }
}

final class RedirectURIRulesTests: XCTestCase {
    func testHTTPSIsAccepted() { XCTAssertNil(RedirectURIRules.problem(with: "https://app.example/cb?x=1")) }
    func testLoopbackHTTPIsAccepted() {
        XCTAssertNil(RedirectURIRules.problem(with: "http://127.0.0.1:3000/cb"))
        XCTAssertNil(RedirectURIRules.problem(with: "http://localhost/cb"))
        XCTAssertNil(RedirectURIRules.problem(with: "http://[::1]:8080/cb"))
    }
    func testPlainHTTPToARealHostIsRefused() { XCTAssertNotNil(RedirectURIRules.problem(with: "http://app.example/cb")) }
    func testFragmentIsRefused() { XCTAssertNotNil(RedirectURIRules.problem(with: "https://app.example/cb#x")) }
    func testRelativeOrOtherSchemeIsRefused() {
        XCTAssertNotNil(RedirectURIRules.problem(with: "/cb"))
        XCTAssertNotNil(RedirectURIRules.problem(with: "javascript:alert(1)"))
    }
    func testUserInfoIsRefused() { XCTAssertNotNil(RedirectURIRules.problem(with: "https://a@evil.example/cb")) }
}

final class AccountRulesTests: XCTestCase {
    func testEmailIsTrimmedAndValidated() {
        XCTAssertEqual(AccountRules.normalizedEmail("  a@example.com "), "a@example.com")
        XCTAssertNil(AccountRules.normalizedEmail("not-an-email"))
        XCTAssertNil(AccountRules.normalizedEmail("a@b"))
        XCTAssertNil(AccountRules.normalizedEmail("a b@example.com"))
        XCTAssertNil(AccountRules.normalizedEmail("a@@example.com"))
    }

    func testShortPasswordIsRefused() {
        XCTAssertNotNil(AccountRules.passwordProblem("1234567"))
        XCTAssertNil(AccountRules.passwordProblem("12345678"))
    }
}

final class PKCEChallengeTests: XCTestCase {
    func testMethodIsRequired() {
        XCTAssertThrowsError(try PKCEChallenge(challenge: Fixture.challenge, method: nil))
    }

    func testChallengeMustBeA43CharacterBase64URLValue() {
        XCTAssertThrowsError(try PKCEChallenge(challenge: "short", method: "S256"))
        XCTAssertThrowsError(try PKCEChallenge(challenge: String(repeating: "+", count: 43), method: "S256"))
    }

    func testVerifierShapeFollowsRFC7636() {
        XCTAssertTrue(PKCEChallenge.isWellFormedVerifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
        XCTAssertFalse(PKCEChallenge.isWellFormedVerifier("too-short"))
        XCTAssertFalse(PKCEChallenge.isWellFormedVerifier(String(repeating: "a", count: 129)))
        XCTAssertFalse(PKCEChallenge.isWellFormedVerifier(String(repeating: "a", count: 42) + " "))
    }
}
