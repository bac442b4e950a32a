import ReverifyCore
import XCTest

final class OneTimeCodePolicyTests: XCTestCase {
    let policy = OneTimeCodePolicy()

    func testDefaultLifetimeIsTenMinutesAndFiveAttempts() {
        XCTAssertEqual(policy.lifetime, .minutes(10))
        XCTAssertEqual(policy.maximumAttempts, 5)
    }

    func testFreshUnusedSecretIsUsable() {
        XCTAssertEqual(policy.state(expiresAt: Fixture.now + 1, consumedAt: nil, failedAttempts: 4, now: Fixture.now), .usable)
    }

    func testSecretExpiresAtItsDeadline() {
        XCTAssertEqual(policy.state(expiresAt: Fixture.now, consumedAt: nil, failedAttempts: 0, now: Fixture.now), .expired)
    }

    func testUsedSecretNeverWorksAgain() {
        XCTAssertEqual(policy.state(expiresAt: Fixture.now + 600, consumedAt: Fixture.now, failedAttempts: 0, now: Fixture.now), .used)
    }

    func testFiveWrongCodesBurnTheCode() {
        XCTAssertEqual(policy.state(expiresAt: Fixture.now + 600, consumedAt: nil, failedAttempts: 5, now: Fixture.now), .burned)
    }

    func testSendsAreRateLimitedPerUserAndPerIP() {
        XCTAssertNil(policy.sendRefusal(recentForUser: 4, recentForIP: 19))
        XCTAssertNotNil(policy.sendRefusal(recentForUser: 5, recentForIP: 0))
        XCTAssertNotNil(policy.sendRefusal(recentForUser: 0, recentForIP: 20))
    }

    func testTypedCodesForgiveSpacesAndDashesOnly() {
        XCTAssertEqual(OneTimeCodePolicy.normalizedCode("123 456"), "123456")
        XCTAssertEqual(OneTimeCodePolicy.normalizedCode("123-456"), "123456")
        XCTAssertNil(OneTimeCodePolicy.normalizedCode("12345"))
        XCTAssertNil(OneTimeCodePolicy.normalizedCode("12345a"))
        XCTAssertNil(OneTimeCodePolicy.normalizedCode("１２３４５６"))  // full-width digits are not ASCII
    }
}
