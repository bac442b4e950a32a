import ReverifyCore
import XCTest

/// OpenID CIBA Core poll mode and the approval page's wording (issue 12 item 4).
final class ApprovalRulesTests: XCTestCase {
    private let now = Fixture.now

    // MARK: binding_message (CIBA Core 7.1, 13)

    func testABindingMessageUpTo64CharactersIsKeptVerbatim() throws {
        XCTAssertNil(try BindingMessage.validate(nil))
        let text = "Order #4711 <b>50 €</b> & \"quotes\" — 確認"
        XCTAssertEqual(try BindingMessage.validate(text)?.text, text)
        let longest = String(repeating: "é", count: 64)
        XCTAssertEqual(try BindingMessage.validate(longest)?.text, longest)
    }

    func testABindingMessageOverTheLimitIsInvalidBindingMessage() {
        assertInvalid(String(repeating: "a", count: 65))
    }

    func testABindingMessageWithInvisibleOrControlCharactersIsInvalidBindingMessage() {
        for text in ["line\nbreak", "tab\there", "bell\u{07}", "del\u{7F}", "bidi \u{202E}gnp.exe", "zero\u{200B}width",
                     "para\u{2029}graph", "", "   "] {
            assertInvalid(text)
        }
    }

    private func assertInvalid(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try BindingMessage.validate(text), file: file, line: line) {
            XCTAssertEqual(($0 as? OAuthError)?.code, .invalidBindingMessage, file: file, line: line)
        }
    }

    // MARK: the request (CIBA Core 7.1)

    func testExactlyOneHintIsRequiredAndLoginHintIsAnEmail() throws {
        XCTAssertEqual(try BackchannelRequestRules.hint(loginHint: " alice@example.com ", idTokenHint: nil, loginHintToken: nil),
                       .email("alice@example.com"))
        XCTAssertEqual(try BackchannelRequestRules.hint(loginHint: nil, idTokenHint: "a.b.c", loginHintToken: nil), .idToken("a.b.c"))
        for (login, idToken, hintToken) in [(nil, nil, nil), ("a@example.com", "a.b.c", nil), (nil, nil, "t"), ("not-an-email", nil, nil)]
            as [(String?, String?, String?)]
        {
            XCTAssertThrowsError(try BackchannelRequestRules.hint(loginHint: login, idTokenHint: idToken, loginHintToken: hintToken)) {
                XCTAssertEqual(($0 as? OAuthError)?.code, .invalidRequest)
            }
        }
    }

    func testScopesDefaultToOpenIDAndNeverIncludeOfflineAccess() throws {
        XCTAssertEqual(try BackchannelRequestRules.scopes(nil), ["openid"])
        XCTAssertEqual(try BackchannelRequestRules.scopes("openid email openid"), ["openid", "email"])
        for scope in ["openid offline_access", "admin", ""] {
            XCTAssertThrowsError(try BackchannelRequestRules.scopes(scope)) { XCTAssertEqual(($0 as? OAuthError)?.code, .invalidScope) }
        }
    }

    func testTheRequiredLevelIsTheHighestOfActionClientAndAcrValues() {
        let plain = ActionPolicy(maxAge: 300)
        let mfa = ActionPolicy(maxAge: 300, minimumLevel: .multiFactor)
        XCTAssertEqual(BackchannelRequestRules.requiredLevel(acrValues: nil, action: plain, clientFloor: nil), .singleFactor)
        XCTAssertEqual(BackchannelRequestRules.requiredLevel(acrValues: nil, action: mfa, clientFloor: nil), .multiFactor)
        XCTAssertEqual(BackchannelRequestRules.requiredLevel(acrValues: nil, action: plain, clientFloor: .multiFactor), .multiFactor)
        XCTAssertEqual(
            BackchannelRequestRules.requiredLevel(acrValues: "urn:unknown " + ACR.multiFactor.rawValue, action: plain, clientFloor: nil),
            .multiFactor)
        // A request raises a floor, never lowers it.
        XCTAssertEqual(BackchannelRequestRules.requiredLevel(acrValues: ACR.singleFactor.rawValue, action: mfa, clientFloor: nil), .multiFactor)
    }

    func testRequestedExpiryIsAPositiveNumberUpToAnHour() throws {
        XCTAssertEqual(try ApprovalPolling.expiry(requested: nil), .minutes(10))
        XCTAssertEqual(try ApprovalPolling.expiry(requested: "3"), 3)
        XCTAssertEqual(try ApprovalPolling.expiry(requested: "3600"), 3600)
        for text in ["0", "-5", "3601", "soon", "1.5"] {
            XCTAssertThrowsError(try ApprovalPolling.expiry(requested: text)) { XCTAssertEqual(($0 as? OAuthError)?.code, .invalidRequest) }
        }
    }

    // MARK: polling (CIBA Core 10.1, 11)

    private func state(_ status: ApprovalStatus, lastPolled: Int64? = nil, interval: Seconds = 5) -> ApprovalPollState {
        ApprovalPollState(status: status, expiresAt: now + 300, interval: interval, lastPolledAt: lastPolled.map { now - Seconds($0) })
    }

    func testAPendingApprovalPollsAsAuthorizationPendingAndRecordsThePoll() {
        let first = ApprovalPolling.poll(state(.pending), at: now)
        XCTAssertEqual(first, .pending)
        XCTAssertEqual(first.error?.code, .authorizationPending)
        XCTAssertEqual(first.applied(to: state(.pending), at: now).lastPolledAt, now)
        XCTAssertEqual(ApprovalPolling.poll(state(.pending, lastPolled: 5), at: now), .pending)
    }

    func testPollingSoonerThanTheIntervalIsSlowDownAndRaisesTheIntervalByFive() {
        let outcome = ApprovalPolling.poll(state(.pending, lastPolled: 4), at: now)
        XCTAssertEqual(outcome, .slowDown(interval: 10))
        XCTAssertEqual(outcome.error?.code, .slowDown)
        let next = outcome.applied(to: state(.pending, lastPolled: 4), at: now)
        XCTAssertEqual(next.interval, 10)
        XCTAssertEqual(next.lastPolledAt, now)
        // The raised interval holds for every later poll.
        XCTAssertEqual(ApprovalPolling.poll(next, at: now + 9), .slowDown(interval: 15))
        XCTAssertEqual(ApprovalPolling.poll(next, at: now + 10), .pending)
    }

    func testAnExpiredRequestIsExpiredTokenEvenIfApproved() {
        var expired = state(.pending)
        expired.expiresAt = now
        XCTAssertEqual(ApprovalPolling.poll(expired, at: now), .expired)
        expired.status = .granted
        XCTAssertEqual(ApprovalPolling.poll(expired, at: now).error?.code, .expiredToken)
    }

    func testAnApprovalIssuesOnceEvenWhenPolledQuickly() {
        let granted = state(.granted, lastPolled: 1)
        let outcome = ApprovalPolling.poll(granted, at: now)
        XCTAssertEqual(outcome, .issue)
        XCTAssertNil(outcome.error)
        let after = outcome.applied(to: granted, at: now)
        XCTAssertEqual(after.status, .redeemed)
        XCTAssertEqual(ApprovalPolling.poll(after, at: now + 10).error?.code, .invalidGrant)
    }

    func testDeniedAndRevokedRequestsAreAccessDeniedAndChangeNothing() {
        for status in [ApprovalStatus.denied, .revoked] {
            let before = state(status, lastPolled: 1)
            let outcome = ApprovalPolling.poll(before, at: now)
            XCTAssertEqual(outcome.error?.code, .accessDenied)
            XCTAssertEqual(outcome.applied(to: before, at: now), before)
        }
    }

    // MARK: wording

    func testAPaymentReadsAsASentence() {
        let (headline, fields) = ApprovalWording.lines(for: [
            "type": .string("reverify_action"), "action": .string("billing.pay"), "amount": .string("50.00"),
            "currency": .string("EUR"), "creditor": .string("Example Corp"), "reference": .string("INV-7"),
        ])
        XCTAssertEqual(headline, "Pay 50.00 EUR to Example Corp")
        XCTAssertEqual(fields, ["action: billing.pay", "reference: INV-7"])
    }

    func testUnknownDetailsAreListedAsKeyValue() {
        let (headline, fields) = ApprovalWording.lines(for: [
            "type": .string("reverify_action"), "action": .string("repo.delete"), "repository": .string("acme/site"),
            "force": .bool(true), "count": .number(3), "tags": .array([.string("a"), .string("b")]),
            "owner": .object(["id": .number(7), "name": .string("x")]),
        ])
        XCTAssertEqual(headline, "Perform “repo.delete”")
        XCTAssertEqual(fields, ["count: 3", "force: yes", "owner: (id 7, name x)", "repository: acme/site", "tags: a, b"])
    }

    func testAnAmountWithoutPayeeStillReadsAsAPayment() {
        let (headline, _) = ApprovalWording.lines(for: [
            "type": .string("reverify_action"), "action": .string("billing.change"), "amount": .number(12.5), "currency": .string("USD"),
        ])
        XCTAssertEqual(headline, "Pay 12.5 USD")
    }
}
