import ReverifyCore
import XCTest

final class FreshnessPolicyTests: XCTestCase {
    private func decide(
        _ overrides: [String: String?] = [:], session: SessionSnapshot?, hint: UserID? = nil,
        client: RegisteredClient = Fixture.client()
    ) throws -> FreshnessDecision {
        FreshnessPolicy.decide(
            request: try Fixture.request(overrides, client: client), client: client, session: session, hintedUser: hint,
            now: Fixture.now)
    }

    func testNoSessionRequiresSignIn() throws {
        XCTAssertEqual(try decide(session: nil), .signIn(pinnedUser: nil))
    }

    func testNoSessionWithHintPinsTheSignInToThatUser() throws {
        XCTAssertEqual(try decide(session: nil, hint: Fixture.user), .signIn(pinnedUser: Fixture.user))
    }

    func testPromptNoneWithoutSessionIsLoginRequired() throws {
        XCTAssertEqual(try decide(["prompt": "none"], session: nil), .fail(.loginRequired("the user is not signed in")))
    }

    func testFreshSessionProceedsWithoutAPage() throws {
        XCTAssertEqual(try decide(["max_age": "300"], session: Fixture.session(authenticatedSecondsAgo: 10)), .proceed)
    }

    func testSessionWithoutMaxAgeProceeds() throws {
        XCTAssertEqual(try decide(session: Fixture.session(authenticatedSecondsAgo: 86_400)), .proceed)
    }

    func testMaxAgeExpiredForcesReauthentication() throws {
        XCTAssertEqual(
            try decide(["max_age": "300"], session: Fixture.session(authenticatedSecondsAgo: 301)), .reauthenticate(.maxAge))
    }

    func testElapsedTimeEqualToMaxAgeIsStillFresh() throws {
        // OIDC Core 3.1.2.1: re-authenticate only if the elapsed time is *greater than* max_age.
        XCTAssertEqual(try decide(["max_age": "300"], session: Fixture.session(authenticatedSecondsAgo: 300)), .proceed)
    }

    func testMaxAgeZeroBehavesAsPromptLogin() throws {
        XCTAssertEqual(
            try decide(["max_age": "0"], session: Fixture.session(authenticatedSecondsAgo: 0)), .reauthenticate(.promptLogin))
    }

    func testPromptLoginForcesReauthenticationEvenWhenFresh() throws {
        XCTAssertEqual(
            try decide(["prompt": "login"], session: Fixture.session(authenticatedSecondsAgo: 1)),
            .reauthenticate(.promptLogin))
    }

    func testPromptNoneWhenStaleIsLoginRequired() throws {
        guard case .fail(let error) = try decide(["prompt": "none", "max_age": "60"], session: Fixture.session(authenticatedSecondsAgo: 61))
        else { return XCTFail("expected failure") }
        XCTAssertEqual(error.code, .loginRequired)
    }

    func testPromptNoneWhenFreshProceeds() throws {
        XCTAssertEqual(try decide(["prompt": "none", "max_age": "60"], session: Fixture.session(authenticatedSecondsAgo: 5)), .proceed)
    }

    func testHintForAnotherUserIsLoginRequiredNotASwitch() throws {
        guard case .fail(let error) = try decide(session: Fixture.session(authenticatedSecondsAgo: 1), hint: Fixture.otherUser)
        else { return XCTFail("expected failure") }
        XCTAssertEqual(error.code, .loginRequired)
    }

    func testHintForTheSessionUserIsAccepted() throws {
        XCTAssertEqual(try decide(session: Fixture.session(authenticatedSecondsAgo: 1), hint: Fixture.user), .proceed)
    }

    func testNamedActionImposesItsMaximumAge() throws {
        let client = Fixture.client(actions: ["billing.change": ActionPolicy(maxAge: 120)])
        XCTAssertEqual(
            try decide(["action": "billing.change"], session: Fixture.session(authenticatedSecondsAgo: 121), client: client),
            .reauthenticate(.action))
    }

    func testTighterOfMaxAgeAndActionWins() throws {
        let client = Fixture.client(actions: ["billing.change": ActionPolicy(maxAge: 600)])
        XCTAssertEqual(
            try decide(
                ["action": "billing.change", "max_age": "60"], session: Fixture.session(authenticatedSecondsAgo: 100),
                client: client),
            .reauthenticate(.maxAge))
    }

    func testCodeForPromptLoginNeedsAuthTimeAfterTheRequestArrived() throws {
        let request = try Fixture.request(["prompt": "login"])
        let minimum = request.minimumAuthTime(client: Fixture.client())
        XCTAssertEqual(minimum, Fixture.now)
        XCTAssertFalse(FreshnessPolicy.codeIsRedeemable(minimumAuthTime: minimum, sessionAuthTime: Fixture.now - Seconds(1)))
        XCTAssertTrue(FreshnessPolicy.codeIsRedeemable(minimumAuthTime: minimum, sessionAuthTime: Fixture.now))
    }

    func testCodeForMaxAgeNeedsAuthTimeWithinTheWindow() throws {
        let minimum = try Fixture.request(["max_age": "300"]).minimumAuthTime(client: Fixture.client())
        XCTAssertEqual(minimum, Fixture.now - Seconds(300))
    }

    func testCodeWithoutFreshnessDemandIsAlwaysRedeemable() {
        XCTAssertTrue(FreshnessPolicy.codeIsRedeemable(minimumAuthTime: nil, sessionAuthTime: UnixTime(0)))
    }
}
