import ReverifyCore
import XCTest

final class ActionDecisionTests: XCTestCase {
    private let lifetimes = LevelLifetimes([.multiFactor: 900])
    private let allow = RiskDecision(outcome: .allow, triggers: [], score: 0)

    private func levels(_ achieved: [ACR: Int64]) -> LevelHistory {
        LevelHistory(achieved.mapValues { Fixture.now - Seconds($0) })
    }

    private func decide(age: Int64, levels: [ACR: Int64] = [.singleFactor: 0], action: ActionPolicy?, risk: RiskDecision? = nil)
        -> ActionDecision
    {
        ActionDecision.decide(
            authTime: Fixture.now - Seconds(age), levels: self.levels(levels), action: action, risk: risk ?? allow,
            now: Fixture.now, lifetimes: lifetimes)
    }

    func testAFreshEnoughSessionIsAllowed() {
        XCTAssertEqual(decide(age: 100, action: ActionPolicy(maxAge: 300)).verdict, .allow)
    }

    func testAnOldAuthenticationStepsUpWithItsMaxAge() {
        let decision = decide(age: 301, levels: [.singleFactor: 301], action: ActionPolicy(maxAge: 300))
        XCTAssertEqual(decision.verdict, .stepUp)
        XCTAssertEqual(decision.reasons, ["max_age"])
        XCTAssertEqual(decision.challenge?.headerValue.contains("max_age=300"), true)
        XCTAssertEqual(decision.challenge?.error, .insufficientUserAuthentication)
    }

    func testAMissingLevelStepsUpWithItsACR() {
        let decision = decide(age: 10, action: ActionPolicy(maxAge: 300, minimumLevel: .multiFactor))
        XCTAssertEqual(decision.reasons, ["acr"])
        XCTAssertEqual(decision.challenge?.acrValues, [ACR.multiFactor.rawValue])
    }

    func testRiskCanDenyOrDemandMoreThanTheAction() {
        let deny = RiskDecision(outcome: .deny, triggers: [.externalFlag], score: 0)
        XCTAssertEqual(decide(age: 0, action: nil, risk: deny).verdict, .deny)
        XCTAssertNil(decide(age: 0, action: nil, risk: deny).challenge)
        let mfa = RiskDecision(outcome: .stepUpMFA, triggers: [.failureVelocity], score: 80)
        let decision = decide(age: 0, action: ActionPolicy(maxAge: 300), risk: mfa)
        XCTAssertEqual(decision.verdict, .stepUp)
        XCTAssertEqual(decision.requiredLevel, .multiFactor)
        XCTAssertEqual(decision.reasons, ["acr", "risk:failure_velocity"])
        let fresh = RiskDecision(outcome: .stepUp, triggers: [.newDevice, .newNetwork], score: 70)
        XCTAssertEqual(decide(age: 0, action: nil, risk: fresh).requiredMaxAge, 0)
    }
}
