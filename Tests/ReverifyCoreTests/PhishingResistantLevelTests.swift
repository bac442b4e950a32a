import Foundation
import ReverifyCore
import XCTest

private let phrURN = "urn:reverify:acr:phr"

/// Issue 18: `urn:reverify:acr:phr` above `mfa`, reached by a user-verified passkey alone.
final class PhishingResistantLevelTests: XCTestCase {
    func testPhrRanksAboveMFA() {
        XCTAssertEqual(ACR.allCases.sorted(), [.singleFactor, .multiFactor, .phishingResistant])
        XCTAssertGreaterThan(ACR.phishingResistant, ACR.multiFactor)
    }

    func testPhrParsesInShortAndFullForms() {
        XCTAssertEqual(ACR(name: "phr"), .phishingResistant)
        XCTAssertEqual(ACR(name: phrURN), .phishingResistant)
        XCTAssertEqual(ACR.phishingResistant.shortName, "phr")
    }

    func testPhrHasItsOwnLifetime() {
        XCTAssertEqual(LevelLifetimes.parse("phr=300")?.0, .phishingResistant)
        let lifetimes = LevelLifetimes([.multiFactor: 900, .phishingResistant: 300])
        var levels = LevelHistory()
        levels.record(.phishingResistant, at: Fixture.now)
        XCTAssertEqual(levels.effectiveLevel(at: Fixture.now + 300, lifetimes: lifetimes), .phishingResistant)
        XCTAssertEqual(levels.effectiveLevel(at: Fixture.now + 301, lifetimes: lifetimes), .multiFactor)
        XCTAssertEqual(levels.effectiveLevel(at: Fixture.now + 901, lifetimes: lifetimes), .singleFactor)
    }

    func testAchievingPhrAchievesEveryLowerLevel() {
        var levels = LevelHistory()
        levels.record(.phishingResistant, at: Fixture.now)
        XCTAssertEqual(levels.achievedAt, [.singleFactor: Fixture.now, .multiFactor: Fixture.now, .phishingResistant: Fixture.now])
    }

    func testAcrValuesAskForPhr() throws {
        let request = try Fixture.request(["acr_values": "\(ACR.multiFactor.rawValue) \(phrURN)"])
        XCTAssertEqual(request.levelRequirement(client: Fixture.client())?.level, .phishingResistant)
    }

    func testActionsAndFloorsAcceptPhr() {
        XCTAssertEqual(ActionPolicy.parse("keys.delete=60:phr")?.1, ActionPolicy(maxAge: 60, minimumLevel: .phishingResistant))
    }

    func testAUserVerifiedPasskeyAloneReachesPhr() {
        var history = VerificationHistory()
        let result = history.record(
            .passkey, at: Fixture.now, window: 900, extraAMR: PasskeyAssurance.amr(backupEligible: false, userVerified: true))
        XCTAssertEqual(result.acr, .phishingResistant)
        XCTAssertEqual(result.amr, [.hwk, .user, .mfa])
    }

    func testASyncedPasskeyIsSwk() {
        var history = VerificationHistory()
        let result = history.record(
            .passkey, at: Fixture.now, window: 900, extraAMR: PasskeyAssurance.amr(backupEligible: true, userVerified: true))
        XCTAssertEqual(result.amr, [.swk, .user, .mfa])
    }

    func testAPasskeyWithoutUserVerificationDoesNotReachPhr() {
        var history = VerificationHistory()
        let result = history.record(
            .passkey, at: Fixture.now, window: 900, extraAMR: PasskeyAssurance.amr(backupEligible: false, userVerified: false))
        XCTAssertEqual(result.acr, .singleFactor)
        XCTAssertEqual(result.amr, [.hwk])
    }

    func testAPasskeyWithoutUserVerificationIsOnePossessionFactorTowardsMFA() {
        var history = VerificationHistory()
        _ = history.record(.password, at: Fixture.now, window: 900)
        let result = history.record(
            .passkey, at: Fixture.now + 10, window: 900, extraAMR: PasskeyAssurance.amr(backupEligible: false, userVerified: false))
        XCTAssertEqual(result.acr, .multiFactor)
    }

    func testNoOtherMethodsReachPhr() {
        var history = VerificationHistory()
        _ = history.record(.password, at: Fixture.now, window: 900)
        _ = history.record(.emailCode, at: Fixture.now + 1, window: 900)
        XCTAssertEqual(history.record(.federated, at: Fixture.now + 2, window: 900, extraAMR: ["hwk", "user"]).acr, .multiFactor)
    }
}

final class PasskeyStepUpPlannerTests: XCTestCase {
    private func plan(_ required: ACR, after methods: [AuthMethod] = [], available: Set<AuthMethod>) -> StepUpPlan {
        var history = VerificationHistory()
        for method in methods { _ = history.record(method, at: Fixture.now - 30, window: 900) }
        return StepUpPlanner.plan(required: required, met: false, history: history, now: Fixture.now, window: 900, available: available)
    }

    func testPhrOffersOnlyThePasskey() {
        XCTAssertEqual(plan(.phishingResistant, available: [.password, .emailCode, .passkey]), .offer([.passkey]))
    }

    func testPhrWithoutAPasskeyIsUnreachable() {
        XCTAssertEqual(plan(.phishingResistant, after: [.password, .emailCode], available: [.password, .emailCode, .federated]), .unreachable)
    }

    func testMFAOffersThePasskeyEvenAfterAnotherPossessionFactor() {
        XCTAssertEqual(plan(.multiFactor, after: [.emailCode], available: [.password, .emailCode, .passkey]), .offer([.password, .passkey]))
    }

    func testMFAIsReachableWithAPasskeyAlone() {
        XCTAssertEqual(plan(.multiFactor, available: [.passkey]), .offer([.passkey]))
    }
}
