import Foundation
import ReverifyCore
import XCTest

private let mfaURN = ACR.multiFactor.rawValue
private let oneURN = ACR.singleFactor.rawValue

final class LevelHistoryTests: XCTestCase {
    private let lifetimes = LevelLifetimes([.multiFactor: 900])

    func testAchievingMFAAchievesOneFactorToo() {
        var levels = LevelHistory()
        levels.record(.multiFactor, at: Fixture.now)
        XCTAssertEqual(levels.achievedAt, [.singleFactor: Fixture.now, .multiFactor: Fixture.now])
    }

    func testEffectiveLevelDecaysAfterTheLifetime() {
        var levels = LevelHistory()
        levels.record(.multiFactor, at: Fixture.now)
        let table: [(Int64, ACR)] = [(0, .multiFactor), (900, .multiFactor), (901, .singleFactor), (86_400, .singleFactor)]
        for (elapsed, expected) in table {
            XCTAssertEqual(levels.effectiveLevel(at: Fixture.now + Seconds(elapsed), lifetimes: lifetimes), expected, "after \(elapsed) s")
        }
    }

    func testMaxAgeAppliesToTheLevelAskedFor() {
        var levels = LevelHistory()
        levels.record(.multiFactor, at: Fixture.now)
        levels.record(.singleFactor, at: Fixture.now + 200)
        let now = Fixture.now + 250
        XCTAssertTrue(levels.satisfies(.singleFactor, maxAge: 60, at: now, lifetimes: lifetimes))
        XCTAssertFalse(levels.satisfies(.multiFactor, maxAge: 60, at: now, lifetimes: lifetimes))
        XCTAssertTrue(levels.satisfies(.multiFactor, maxAge: 300, at: now, lifetimes: lifetimes))
        XCTAssertTrue(levels.satisfies(.multiFactor, maxAge: nil, at: now, lifetimes: lifetimes))
    }

    func testALevelNeverAchievedIsNotSatisfied() {
        var levels = LevelHistory()
        levels.record(.singleFactor, at: Fixture.now)
        XCTAssertFalse(levels.satisfies(.multiFactor, maxAge: nil, at: Fixture.now, lifetimes: lifetimes))
    }

    func testLifetimeOptionParses() {
        XCTAssertEqual(LevelLifetimes.parse("mfa=120")?.1, Seconds(120))
        XCTAssertEqual(LevelLifetimes.parse("\(mfaURN)=60")?.0, .multiFactor)
        for bad in ["1fa=60", "mfa=0", "mfa=-5", "mfa", "gold=60", "mfa=abc", "mfa=99999999"] {
            XCTAssertNil(LevelLifetimes.parse(bad), bad)
        }
    }

    func testLevelNamesAcceptShortAndFullForms() {
        XCTAssertEqual(ACR(name: "MFA"), .multiFactor)
        XCTAssertEqual(ACR(name: oneURN), .singleFactor)
        XCTAssertNil(ACR(name: "urn:reverify:acr:gold"))
        XCTAssertLessThan(ACR.singleFactor, ACR.multiFactor)
    }
}

final class LevelRequirementTests: XCTestCase {
    private func requirement(
        _ overrides: [String: String?], minimum: ACR? = nil, actions: [String: ActionPolicy] = [:]
    ) throws -> LevelRequirement? {
        let client = RegisteredClient(
            id: ClientID(rawValue: "cli_rp"), name: "RP", authMethod: .clientSecretBasic, redirectURIs: [Fixture.redirect],
            actions: actions, minimumLevel: minimum)
        let request = try AuthorizeRequestValidator.validate(
            Fixture.params(overrides), client: client, redirectURI: Fixture.redirect, now: Fixture.now,
            decodeClaims: { try? JSONDecoder().decode(ClaimsRequest.self, from: Data($0.utf8)) })
        return request.levelRequirement(client: client)
    }

    func testNoLevelAskedIsNoRequirement() throws {
        XCTAssertNil(try requirement([:]))
    }

    func testAcrValuesAskForTheBestSupportedLevelVoluntarily() throws {
        let table: [(String, ACR?)] = [
            (mfaURN, .multiFactor), ("\(oneURN) \(mfaURN)", .multiFactor), ("urn:other:gold \(oneURN)", .singleFactor),
            ("urn:other:gold", nil), ("mfa", nil),
        ]
        for (values, expected) in table {
            let result = try requirement(["acr_values": values])
            XCTAssertEqual(result?.level, expected, values)
            if result != nil { XCTAssertEqual(result?.essential, false, values) }
        }
    }

    func testEssentialACRClaimIsEssentialAtTheLeastAcceptedLevel() throws {
        let claims = #"{"id_token":{"acr":{"essential":true,"values":["\#(mfaURN)","urn:other:gold"]}}}"#
        XCTAssertEqual(try requirement(["claims": claims]), LevelRequirement(level: .multiFactor, essential: true, sources: [.essentialClaim]))
    }

    func testAVoluntaryACRClaimAsksForNothing() throws {
        XCTAssertNil(try requirement(["claims": #"{"id_token":{"acr":{"values":["\#(mfaURN)"]}}}"#]))
    }

    func testAClientFloorCannotBeLoweredByTheRequest() throws {
        let result = try requirement(["acr_values": oneURN], minimum: .multiFactor)
        XCTAssertEqual(result, LevelRequirement(level: .multiFactor, essential: true, sources: [.clientFloor]))
    }

    func testAnActionFloorAppliesToThatActionOnly() throws {
        let actions = ["billing.change": ActionPolicy(maxAge: 300, minimumLevel: .multiFactor)]
        XCTAssertEqual(try requirement(["action": "billing.change"], actions: actions)?.sources, [.action])
        XCTAssertNil(try requirement([:], actions: actions))
    }

    func testARequestCanRaiseAFloor() throws {
        let result = try requirement(["acr_values": mfaURN], minimum: .singleFactor)
        XCTAssertEqual(result, LevelRequirement(level: .multiFactor, essential: false, sources: [.request]))
    }

    func testEssentialWithOnlyUnsupportedValuesCanNeverBeMet() throws {
        let client = Fixture.client()
        let request = try AuthorizeRequestValidator.validate(
            Fixture.params(["claims": #"{"id_token":{"acr":{"essential":true,"values":["urn:other:gold"]}}}"#]), client: client,
            redirectURI: Fixture.redirect, now: Fixture.now,
            decodeClaims: { try? JSONDecoder().decode(ClaimsRequest.self, from: Data($0.utf8)) })
        XCTAssertTrue(request.demandsUnsupportedLevel)
        guard case .fail(let error) = FreshnessPolicy.decide(request: request, client: client, session: nil, hintedUser: nil, now: Fixture.now)
        else { return XCTFail("expected unmet_authentication_requirements") }
        XCTAssertEqual(error.code, .unmetAuthenticationRequirements)
    }

    func testClaimsThatAreNotAJSONObjectAreInvalidRequest() {
        for bad in ["[1,2]", "not json", #""acr""#] {
            XCTAssertThrowsError(try requirement(["claims": bad]), bad) { error in
                XCTAssertEqual((error as? OAuthError)?.code, .invalidRequest)
            }
        }
    }

    func testActionRulesParseWithAnOptionalLevel() {
        XCTAssertEqual(ActionPolicy.parse("billing.change=300:mfa")?.1, ActionPolicy(maxAge: 300, minimumLevel: .multiFactor))
        XCTAssertEqual(ActionPolicy.parse("billing.change=300")?.1, ActionPolicy(maxAge: 300))
        XCTAssertEqual(ActionPolicy.parse("billing.change=300:mfa:ttl=120")?.1.tokenLifetime, 120)
        for bad in ["billing.change=300:gold", "billing.change", "=300", "x=-1", "x=300:mfa:extra", "bad name=1", "x=1:ttl=0",
                    "x=1:ttl=abc", "x=1:ttl=5:ttl=6"] {
            XCTAssertNil(ActionPolicy.parse(bad), bad)
        }
    }
}

final class LevelDecisionTests: XCTestCase {
    private let lifetimes = LevelLifetimes([.multiFactor: 900])

    private func session(levels: [ACR: Int64]) -> SessionSnapshot {
        SessionSnapshot(
            sessionID: SessionID(rawValue: "ses_1"), userID: Fixture.user, authTime: Fixture.now - 10,
            levels: LevelHistory(levels.mapValues { Fixture.now - Seconds($0) }))
    }

    private func decide(_ overrides: [String: String?], levels: [ACR: Int64]) throws -> FreshnessDecision {
        FreshnessPolicy.decide(
            request: try Fixture.request(overrides), client: Fixture.client(), session: session(levels: levels), hintedUser: nil,
            now: Fixture.now, lifetimes: lifetimes)
    }

    func testASessionBelowTheLevelStepsUp() throws {
        XCTAssertEqual(try decide(["acr_values": mfaURN], levels: [.singleFactor: 10]), .reauthenticate(.assuranceLevel))
    }

    func testASessionAtTheLevelProceeds() throws {
        XCTAssertEqual(try decide(["acr_values": mfaURN], levels: [.singleFactor: 10, .multiFactor: 10]), .proceed)
    }

    func testADecayedLevelStepsUpAgain() throws {
        XCTAssertEqual(try decide(["acr_values": mfaURN], levels: [.singleFactor: 10, .multiFactor: 901]), .reauthenticate(.assuranceLevel))
    }

    func testMaxAgeWithALevelNeedsThatLevelWithinMaxAge() throws {
        XCTAssertEqual(
            try decide(["acr_values": mfaURN, "max_age": "300"], levels: [.singleFactor: 10, .multiFactor: 400]),
            .reauthenticate(.assuranceLevel))
    }

    func testPromptNoneBelowTheLevelIsInteractionRequired() throws {
        guard case .fail(let error) = try decide(["acr_values": mfaURN, "prompt": "none"], levels: [.singleFactor: 10])
        else { return XCTFail("expected interaction_required") }
        XCTAssertEqual(error.code, .interactionRequired)
    }
}

final class StepUpPlannerTests: XCTestCase {
    private func plan(after methods: [AuthMethod], available: Set<AuthMethod>, met: Bool = false) -> StepUpPlan {
        var history = VerificationHistory()
        for method in methods { _ = history.record(method, at: Fixture.now - 30, window: 900) }
        return StepUpPlanner.plan(required: .multiFactor, met: met, history: history, now: Fixture.now, window: 900, available: available)
    }

    func testAfterAPasswordOnlyPossessionOrSSOIsOffered() {
        XCTAssertEqual(plan(after: [.password], available: [.password, .emailCode, .magicLink, .federated]), .offer([.emailCode, .magicLink, .federated]))
    }

    func testAfterAnEmailedLinkOnlyThePasswordIsOffered() {
        XCTAssertEqual(plan(after: [.magicLink], available: [.password, .emailCode, .magicLink]), .offer([.password]))
    }

    func testWithoutASecondKindTheLevelIsUnreachable() {
        XCTAssertEqual(plan(after: [.magicLink], available: [.emailCode, .magicLink]), .unreachable)
    }

    func testNothingRecentOffersEveryMethod() {
        XCTAssertEqual(plan(after: [], available: [.password, .emailCode]), .offer([.password, .emailCode]))
    }

    func testADecayedLevelWithBothKindsStillRecentOffersEveryMethod() {
        XCTAssertEqual(
            plan(after: [.password, .emailCode], available: [.password, .emailCode, .magicLink]),
            .offer([.password, .emailCode, .magicLink]))
    }

    func testAMetLevelNeedsNothing() {
        XCTAssertEqual(plan(after: [.password], available: [.password], met: true), .satisfied)
    }
}
