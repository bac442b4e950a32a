import Foundation
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyServer
import ReverifyStore
import Testing

/// Agent approvals (OpenID CIBA poll mode) at instants the test clock sets: rules about ages and expiry that
/// the e2e suite could only check by waiting.
@Suite struct ApprovalRoutesTests {
    typealias Workload = TokenExchangeRoutesTests.Workload

    func backchannelRequest(
        by workload: Workload, app: TestApp, client: any TestClientProtocol, extra: [String: String] = [:]
    ) async throws -> TestResponse {
        try await client.execute(
            uri: "/oauth2/bc-authorize", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: formBody([
                "login_hint": app.user.email, "binding_message": "K7-42",
                "authorization_details": #"[{"type":"reverify_action","action":"billing.pay","amount":"5","currency":"EUR"}]"#,
                "client_assertion_type": ClientAssertionRules.assertionType,
                "client_assertion": try await workload.assertion(app),
            ].merging(extra) { $1 })) { $0 }
    }

    func poll(_ authReqID: String, by workload: Workload, app: TestApp, client: any TestClientProtocol) async throws -> TestResponse {
        try await client.execute(
            uri: "/oauth2/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: formBody([
                "grant_type": BackchannelRequestRules.grantType, "auth_req_id": authReqID,
                "client_assertion_type": ClientAssertionRules.assertionType,
                "client_assertion": try await workload.assertion(app),
            ])) { $0 }
    }

    /// The path of the approval link in the newest approval email (sent off the request path, so waited for).
    func approvalLink(_ app: TestApp) async throws -> String {
        for _ in 0..<100 {
            let mail = FileOutboxMailer(directory: app.outbox.path).entries().first { $0.subject.contains("asks for your approval") }
            if let mail, let match = mail.text.firstMatch(of: /http:\/\/\S+(\/reauth\/approve\/\S+)/) { return String(match.1) }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no approval email in the outbox")
        return ""
    }

    @Test func approvingNeedsAVerificationStillWithinTheActionsMaxAge() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let workload = try await Workload.register(in: app, actions: ["billing.pay": ActionPolicy(maxAge: 120)])
            #expect(try await backchannelRequest(by: workload, app: app, client: client).status == .ok)
            let link = try await approvalLink(app)
            let browser = RouterBrowser(app, client)
            let landing = try await browser.get(link)
            let start = try await browser.post(link, ["csrf_token": try csrf(in: landing)])
            #expect(start.status == .seeOther && start.location.hasPrefix("/reauth/req_"))
            let signIn = try await browser.get(start.location)
            let verified = try await browser.post(
                start.location + "/password",
                ["csrf_token": try csrf(in: signIn), "email": app.user.email, "password": TestApp.password])
            #expect(verified.status == .seeOther && verified.location.hasPrefix("/reauth/approval/apr_"))
            #expect(try await browser.get(verified.location).text.contains(#"id="approve""#))

            app.clock.advance(121)
            let stale = try await browser.get(verified.location)
            #expect(!stale.text.contains(#"id="approve""#) && stale.text.contains(#"id="deny""#))
            let refused = try await browser.post(verified.location, ["csrf_token": try csrf(in: stale), "decision": "approve"])

            #expect(refused.status == .forbidden)
            #expect(try await app.store.approvals(user: app.user.id, pendingAt: nil).first?.status == .pending)
        }
    }

    @Test func aRequestPollsAsExpiredTokenOnceItsRequestedExpiryPassed() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let workload = try await Workload.register(in: app, actions: ["billing.pay": ActionPolicy(maxAge: 120)])
            let requested = try await backchannelRequest(by: workload, app: app, client: client, extra: ["requested_expiry": "60"])
            let authReqID = try #require(try requested.json()["auth_req_id"] as? String)
            #expect(try requested.json()["expires_in"] as? Int == 60)
            #expect(try await poll(authReqID, by: workload, app: app, client: client).jsonObject["error"] as? String == "authorization_pending")

            app.clock.advance(60)
            let expired = try await poll(authReqID, by: workload, app: app, client: client)

            #expect(expired.status == .badRequest)
            #expect(expired.jsonObject["error"] as? String == "expired_token")
            let link = try await approvalLink(app)
            #expect(try await RouterBrowser(app, client).get(link).status == .gone)
        }
    }
}
