import Foundation
import ReverifyCore
import XCTest

final class TokenExchangeRulesTests: XCTestCase {
    private let billing = ActionPolicy(maxAge: 300, minimumLevel: .multiFactor)
    private let detail: [String: JSONValue] = [
        "type": .string("reverify_action"), "action": .string("billing.change"), "amount": .string("50.00"),
    ]

    func testOnlyAnAccessTokenIsExchangedAndIssued() throws {
        XCTAssertNoThrow(try TokenExchangeRules.checkTokenTypes(subject: TokenExchangeRules.accessTokenType, requested: nil))
        let table: [(String?, String?, OAuthError.Code)] = [
            (nil, nil, .invalidRequest), (TokenExchangeRules.idTokenType, nil, .invalidGrant),
            ("urn:ietf:params:oauth:token-type:saml2", nil, .invalidRequest),
            (TokenExchangeRules.accessTokenType, "urn:ietf:params:oauth:token-type:refresh_token", .invalidRequest),
        ]
        for (subject, requested, code) in table {
            XCTAssertThrowsError(try TokenExchangeRules.checkTokenTypes(subject: subject, requested: requested)) {
                XCTAssertEqual(($0 as? OAuthError)?.code, code, "\(String(describing: subject)) \(String(describing: requested))")
            }
        }
    }

    func testAnActorTokenIsAJWTAndComesWithItsType() throws {
        XCTAssertNoThrow(try TokenExchangeRules.checkActorTokenType(token: nil, type: nil))
        XCTAssertNoThrow(try TokenExchangeRules.checkActorTokenType(token: "a.b.c", type: TokenExchangeRules.jwtTokenType))
        for (token, type) in [("a.b.c", nil), (nil, TokenExchangeRules.jwtTokenType), ("a.b.c", TokenExchangeRules.accessTokenType)] {
            XCTAssertThrowsError(try TokenExchangeRules.checkActorTokenType(token: token, type: type)) {
                XCTAssertEqual(($0 as? OAuthError)?.code, .invalidRequest)
            }
        }
    }

    func testScopeCanOnlyNarrow() throws {
        XCTAssertEqual(try TokenExchangeRules.scopes(requested: "email", subject: "openid email profile"), ["email"])
        XCTAssertEqual(try TokenExchangeRules.scopes(requested: nil, subject: "openid email offline_access"), ["openid", "email"])
        for wider in ["email admin", "offline_access", ""] {
            XCTAssertThrowsError(try TokenExchangeRules.scopes(requested: wider, subject: "openid email offline_access")) {
                XCTAssertEqual(($0 as? OAuthError)?.code, .invalidScope, wider)
            }
        }
    }

    func testTheAudienceComesFromTheClientsAllowedList() throws {
        let allowed = ["https://api.example", "https://pay.example"]
        XCTAssertEqual(try TokenExchangeRules.audience(requested: ["https://pay.example"], allowed: allowed), "https://pay.example")
        XCTAssertEqual(
            try TokenExchangeRules.audience(requested: ["https://pay.example", "https://pay.example"], allowed: allowed),
            "https://pay.example")
        for requested in [[], ["https://evil.example"], ["https://api.example", "https://pay.example"]] {
            XCTAssertThrowsError(try TokenExchangeRules.audience(requested: requested, allowed: allowed)) {
                XCTAssertEqual(($0 as? OAuthError)?.code, .invalidTarget, "\(requested)")
            }
        }
    }

    func testAuthorizationDetailsNameExactlyOneRegisteredAction() throws {
        let (authorization, policy) = try TokenExchangeRules.action([detail], registered: ["billing.change": billing])
        XCTAssertEqual(authorization.action, "billing.change")
        XCTAssertEqual(authorization.detail["amount"], .string("50.00"))
        XCTAssertEqual(policy, billing)
        var otherType = detail
        otherType["type"] = .string("payment_initiation")
        var unknown = detail
        unknown["action"] = .string("account.delete")
        var noAction = detail
        noAction["action"] = nil
        for bad in [nil, [], [detail, detail], [otherType], [unknown], [noAction]] as [[[String: JSONValue]]?] {
            XCTAssertThrowsError(try TokenExchangeRules.action(bad, registered: ["billing.change": billing])) {
                XCTAssertEqual(($0 as? OAuthError)?.code, .invalidAuthorizationDetails, "\(String(describing: bad))")
            }
        }
    }

    func testAStaleOrWeakPersonIsAskedForTheLevelAndAgeTheActionNeeds() throws {
        let now = Fixture.now
        var mfaRecently = LevelHistory()
        mfaRecently.record(.multiFactor, at: now - 60)
        var singleRecently = LevelHistory()
        singleRecently.record(.singleFactor, at: now - 60)
        func problem(authTime: UnixTime, levels: LevelHistory) -> OAuthError? {
            TokenExchangeRules.userAuthenticationProblem(
                policy: billing, authTime: authTime, levels: levels, lifetimes: LevelLifetimes(), now: now)
        }
        XCTAssertNil(problem(authTime: now - 60, levels: mfaRecently))
        for error in [problem(authTime: now - 301, levels: mfaRecently), problem(authTime: now - 60, levels: singleRecently)] {
            let error = try XCTUnwrap(error)
            XCTAssertEqual(error.code, .insufficientUserAuthentication)
            XCTAssertEqual(error.acrValues, ACR.multiFactor.rawValue)
            XCTAssertEqual(error.maxAge, 300)
        }
    }

    func testTheResultLivesFiveMinutesAtMostAndNeverBeyondItsSubject() {
        XCTAssertEqual(TokenExchangeRules.expiry(policy: billing, subjectExpiry: Fixture.now + 3600, now: Fixture.now), Fixture.now + 300)
        XCTAssertEqual(TokenExchangeRules.expiry(policy: billing, subjectExpiry: Fixture.now + 30, now: Fixture.now), Fixture.now + 30)
    }

    func testTheResultLivesAsLongAsItsActionsTTLSays() {
        let short = ActionPolicy(maxAge: 300, tokenLifetime: 60)
        let long = ActionPolicy(maxAge: 300, tokenLifetime: 900)
        XCTAssertEqual(TokenExchangeRules.expiry(policy: short, subjectExpiry: Fixture.now + 3600, now: Fixture.now), Fixture.now + 60)
        XCTAssertEqual(TokenExchangeRules.expiry(policy: long, subjectExpiry: Fixture.now + 3600, now: Fixture.now), Fixture.now + 900)
        XCTAssertEqual(TokenExchangeRules.expiry(policy: long, subjectExpiry: Fixture.now + 600, now: Fixture.now), Fixture.now + 600)
    }

    func testTheActorNestsThePreviousActorAndLongChainsAreRefused() throws {
        let first = try TokenExchangeRules.actor(caller: ClientID(rawValue: "cli_a"), previous: nil)
        XCTAssertEqual(first, ActorClaim(sub: "cli_a"))
        let second = try TokenExchangeRules.actor(caller: ClientID(rawValue: "cli_b"), previous: first)
        XCTAssertEqual(second, ActorClaim(sub: "cli_b", act: ActorClaim(sub: "cli_a")))
        var chain: ActorClaim? = nil
        for i in 0..<TokenExchangeRules.maximumActorDepth { chain = ActorClaim(sub: "cli_\(i)", act: chain) }
        XCTAssertThrowsError(try TokenExchangeRules.actor(caller: ClientID(rawValue: "cli_z"), previous: chain)) {
            XCTAssertEqual(($0 as? OAuthError)?.code, .invalidGrant)
        }
    }
}

final class AttestationRulesTests: XCTestCase {
    private let now = Fixture.now

    private func attestation(age: Int64, claims: [String: String] = ["sw_version": "1.4.2"]) -> ClientAttestation {
        ClientAttestation(issuedAt: now - Seconds(age), claims: claims)
    }

    func testNothingRequiredMeansNothingChecked() {
        XCTAssertNil(AttestationRules.problem(nil, required: [:], freshRequired: false, now: now))
        XCTAssertNil(AttestationRules.problem(attestation(age: 3600), required: [:], freshRequired: false, now: now))
    }

    func testAFreshAssertionIsAtMostSixtySecondsOld() {
        XCTAssertNil(AttestationRules.problem(attestation(age: 60), required: [:], freshRequired: true, now: now))
        XCTAssertEqual(AttestationRules.problem(attestation(age: 61), required: [:], freshRequired: true, now: now), .stale)
        XCTAssertEqual(AttestationRules.problem(nil, required: [:], freshRequired: true, now: now), .missing)
    }

    func testRegisteredClaimsAreCheckedOnEveryExchange() {
        let required = ["sw_version": "1.4.2"]
        XCTAssertNil(AttestationRules.problem(attestation(age: 3600), required: required, freshRequired: false, now: now))
        for claims in [["sw_version": "1.4.1"], [:], ["SW_VERSION": "1.4.2"]] {
            XCTAssertEqual(
                AttestationRules.problem(attestation(age: 0, claims: claims), required: required, freshRequired: false, now: now),
                .claimMismatch, "\(claims)")
        }
        XCTAssertEqual(AttestationRules.problem(nil, required: required, freshRequired: false, now: now), .missing)
    }

    func testAnActionCanAskForAFreshAttestation() {
        XCTAssertEqual(ActionPolicy.parse("billing.change=300:mfa:attest")?.1.requiresFreshAttestation, true)
        XCTAssertEqual(ActionPolicy.parse("billing.change=300:attest")?.1.minimumLevel, nil)
        XCTAssertEqual(ActionPolicy.parse("billing.change=300:mfa")?.1.requiresFreshAttestation, false)
        XCTAssertNil(ActionPolicy.parse("billing.change=300:mfa:attest:attest"))
        XCTAssertNil(ActionPolicy.parse("billing.change=300:mfa:fresh"))
    }
}

final class ActionPolicyFlagsTests: XCTestCase {
    func testOnceAndAttestAreFlagsAfterTheOptionalLevel() throws {
        let policy = try XCTUnwrap(ActionPolicy.parse("billing.change=300:mfa:attest:once")?.1)
        XCTAssertTrue(policy.oneShot && policy.requiresFreshAttestation)
        XCTAssertEqual(policy.minimumLevel, .multiFactor)
        XCTAssertEqual(ActionPolicy.parse("payout.send=60:once")?.1.oneShot, true)
        XCTAssertEqual(ActionPolicy.parse("payout.send=60")?.1.oneShot, false)
        XCTAssertNil(ActionPolicy.parse("payout.send=60:once:once"))
    }

    func testAPolicyStoredBeforeTheFlagsExistedHasThemOff() throws {
        let stored = #"{"maxAge":300,"methods":["password"],"minimumLevel":"urn:reverify:acr:mfa"}"#
        let policy = try JSONDecoder().decode(ActionPolicy.self, from: Data(stored.utf8))
        XCTAssertEqual(policy, ActionPolicy(maxAge: 300, methods: [.password], minimumLevel: .multiFactor))
    }
}
