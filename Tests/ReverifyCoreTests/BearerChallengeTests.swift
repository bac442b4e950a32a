import ReverifyCore
import XCTest

final class BearerChallengeTests: XCTestCase {
    func testStepUpChallengeRendersAsInRFC9470() {
        let challenge = BearerChallenge(
            error: .insufficientUserAuthentication, errorDescription: "a stronger authentication is required",
            acrValues: ["urn:reverify:acr:mfa"], maxAge: 300)
        XCTAssertEqual(
            challenge.headerValue,
            #"Bearer error="insufficient_user_authentication", error_description="a stronger authentication is required", acr_values="urn:reverify:acr:mfa", max_age=300"#)
    }

    func testChallengeWithoutCredentialsCarriesNoErrorCode() {
        XCTAssertEqual(BearerChallenge().headerValue, "Bearer")
    }

    func testQuotesAndBackslashesInTheDescriptionAreEscaped() {
        let challenge = BearerChallenge(error: .invalidToken, errorDescription: #"say "no" \ twice"#)
        XCTAssertEqual(challenge.headerValue, #"Bearer error="invalid_token", error_description="say \"no\" \\ twice""#)
        XCTAssertEqual(BearerChallenge(header: challenge.headerValue), challenge)
    }

    func testParsingReadsWhatRenderingWrites() {
        let challenge = BearerChallenge(
            error: .insufficientUserAuthentication, errorDescription: "x, y = z", acrValues: ["a", "b"], maxAge: 0)
        XCTAssertEqual(BearerChallenge(header: challenge.headerValue), challenge)
    }

    func testParsingAcceptsTheFormsOtherServersSend() {
        let table: [(String, BearerChallenge)] = [
            ("Bearer", BearerChallenge()),
            ("bearer   ", BearerChallenge()),
            (#"Bearer realm="api""#, BearerChallenge()),
            (#"Bearer error=invalid_token"#, BearerChallenge(error: .invalidToken)),
            (
                #"Bearer error="insufficient_user_authentication",error_description="more" , acr_values="urn:x urn:y", max_age="60""#,
                BearerChallenge(
                    error: .insufficientUserAuthentication, errorDescription: "more", acrValues: ["urn:x", "urn:y"], maxAge: 60)
            ),
            (#"BEARER MAX_AGE = 5"#, BearerChallenge(maxAge: 5)),
        ]
        for (header, expected) in table {
            XCTAssertEqual(BearerChallenge(header: header), expected, header)
        }
    }

    func testParsingRefusesMalformedChallenges() {
        let bad = [
            "", "Basic realm=\"x\"", "Bearerish", #"Bearer error="unterminated"#, #"Bearer error"#, #"Bearer =x"#,
            #"Bearer max_age=-1"#, #"Bearer max_age=soon"#, #"Bearer error=made_up"#,
            #"Bearer max_age=1, max_age=2"#, #"Bearer error="invalid_token" junk"#, #"Bearer error="#,
        ]
        for header in bad {
            XCTAssertNil(BearerChallenge(header: header), header)
        }
    }
}

final class UserAuthenticationRequirementTests: XCTestCase {
    private let mfaWithin300 = UserAuthenticationRequirement(level: .multiFactor, maxAge: 300)

    func testATokenMeetingLevelAndAgeGetsNoChallenge() {
        let table: [(String, Int64)] = [(ACR.multiFactor.rawValue, 0), (ACR.multiFactor.rawValue, 300)]
        for (acr, age) in table {
            XCTAssertNil(mfaWithin300.challenge(acr: acr, authTime: Fixture.now - Seconds(age), now: Fixture.now), "\(acr) \(age)")
        }
    }

    func testALowerOrUnknownLevelIsChallengedWithTheLevelAndMaxAge() {
        for acr in [ACR.singleFactor.rawValue, "urn:other:gold", ""] {
            let challenge = mfaWithin300.challenge(acr: acr, authTime: Fixture.now, now: Fixture.now)
            XCTAssertEqual(challenge?.error, .insufficientUserAuthentication, acr)
            XCTAssertEqual(challenge?.acrValues, [ACR.multiFactor.rawValue], acr)
            XCTAssertEqual(challenge?.maxAge, 300, acr)
        }
    }

    func testAnOldAuthenticationAtTheRightLevelIsChallenged() {
        let challenge = mfaWithin300.challenge(acr: ACR.multiFactor.rawValue, authTime: Fixture.now - 301, now: Fixture.now)
        XCTAssertEqual(challenge?.error, .insufficientUserAuthentication)
        XCTAssertEqual(challenge?.errorDescription, "a more recent authentication is required")
    }

    func testAHigherLevelSatisfiesALowerRequirementWithoutMaxAge() {
        let any = UserAuthenticationRequirement(level: .singleFactor)
        XCTAssertNil(any.challenge(acr: ACR.multiFactor.rawValue, authTime: Fixture.now - 86_400, now: Fixture.now))
        XCTAssertNil(any.challenge(acr: ACR.singleFactor.rawValue, authTime: Fixture.now - 86_400, now: Fixture.now))
    }
}
