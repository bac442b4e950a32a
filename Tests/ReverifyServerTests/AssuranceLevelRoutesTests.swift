import Foundation
import Hummingbird
import HummingbirdTesting
import ReverifyCore
@testable import ReverifyServer
import ReverifyStore
import Synchronization
import Testing

/// A clock a test moves forward.
final class TestClock: TimeSource {
    private let current: Mutex<UnixTime>
    init(_ start: UnixTime = UnixTime(Int64(Date().timeIntervalSince1970))) { current = Mutex(start) }
    func now() -> UnixTime { current.withLock { $0 } }
    func advance(_ seconds: Seconds) { current.withLock { $0 = $0 + seconds } }
}

/// Issue 10 through the router: the step-up page, the audit of the decision, and the demo's RFC 9470 API.
@Suite struct AssuranceLevelRoutesTests {
    static let mfaValues = "&acr_values=urn%3Areverify%3Aacr%3Amfa"

    /// Signs in by password, then asks for mfa; returns the step-up page's path, CSRF token and HTML.
    func stepUpPage(_ browser: RouterBrowser, extra: String = "") async throws -> (path: String, csrf: String, html: String) {
        try await browser.verifyByPassword()
        let started = try await browser.get(browser.app.authorizeURI(Self.mfaValues + extra))
        #expect(started.location.hasPrefix("/reauth/req_"), "expected the step-up page, got \(started.location)")
        let page = try await browser.get(started.location)
        let csrf = try #require(page.text.firstMatch(of: /name="csrf_token" value="([^"]+)"/)?.1)
        return (started.location, String(csrf), page.text)
    }

    @Test func afterAPasswordTheStepUpPageOffersOnlyTheEmailedCode() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let (path, _, html) = try await stepUpPage(RouterBrowser(app, client))
            #expect(html.contains(#"id="step-up-reason""#))
            #expect(html.contains(#"action="\#(path)/email""#))
            #expect(!html.contains(#"action="\#(path)/password""#))
        }
    }

    @Test func theAuthorizeDecisionAuditsTheLevelBeforeTheLevelRequiredAndItsSource() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            _ = try await stepUpPage(RouterBrowser(app, client))
            let decisions = try await app.store.auditLog(user: app.user.id, limit: 20).filter { $0.event == .authorizeDecision }
            let stepUp = try #require(decisions.first { $0.detail["acr_required"] != nil })
            #expect(stepUp.detail["decision"] == "reauthenticate:acr")
            #expect(stepUp.detail["acr_before"] == ACR.singleFactor.rawValue)
            #expect(stepUp.detail["acr_required"] == ACR.multiFactor.rawValue)
            #expect(stepUp.detail["acr_source"] == "request")
        }
    }

    @Test func theStepUpAuditRowRecordsTheLevelBeforeAndTheTrigger() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            _ = try await stepUpByEmailedCode(browser)
            let rows = try await app.store.auditLog(user: app.user.id, limit: 20)
            let stepUp = try #require(rows.first { $0.event == .reauthentication && $0.outcome == .success })
            #expect(stepUp.detail["acr_before"] == ACR.singleFactor.rawValue)
            #expect(stepUp.detail["acr"] == ACR.multiFactor.rawValue)
            #expect(stepUp.detail["trigger_acr"] == ACR.multiFactor.rawValue)
            #expect(stepUp.detail["trigger_acr_source"] == "request")
        }
    }

    // MARK: The demo's API (RFC 9470)

    @Test func theDemoAPIChallengesAOneFactorTokenWithTheLevelAndMaxAge() async throws {
        let app = try await TestApp.make { $0.demo = true }
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let token = try await accessToken(browser, redirect: try await browser.verifyByPassword())
            let answer = try await billing(client, token: token)
            #expect(answer.status == .unauthorized)
            let challenge = try #require(answer.headers[.wwwAuthenticate].flatMap(BearerChallenge.init(header:)))
            #expect(challenge.error == .insufficientUserAuthentication)
            #expect(challenge.acrValues == [ACR.multiFactor.rawValue])
            #expect(challenge.maxAge == DemoResourceServer.billingRequirement.maxAge)
        }
    }

    @Test func theDemoAPIServesAnMFATokenUntilItsAuthTimeIsOlderThanMaxAge() async throws {
        let clock = TestClock()
        let app = try await TestApp.make(time: clock) { $0.demo = true }
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let token = try await accessToken(browser, redirect: try await stepUpByEmailedCode(browser))
            let fresh = try await billing(client, token: token)
            #expect(fresh.status == .ok)
            #expect(fresh.jsonObject["acr"] as? String == ACR.multiFactor.rawValue)

            clock.advance(301)
            let stale = try await billing(client, token: token)

            #expect(stale.status == .unauthorized)
            let challenge = try #require(stale.headers[.wwwAuthenticate].flatMap(BearerChallenge.init(header:)))
            #expect(challenge.error == .insufficientUserAuthentication)
            #expect(challenge.errorDescription == "a more recent authentication is required")
        }
    }

    @Test func theDemoAPIAnswersARevokedTokenWithInvalidToken() async throws {
        let app = try await TestApp.make { $0.demo = true }
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let token = try await accessToken(browser, redirect: try await browser.verifyByPassword())
            let session = try #require(try await app.store.sessions(user: app.user.id).first)
            let now = app.services.time.now()
            _ = try await app.store.revokeSession(
                id: session.id, at: now,
                audit: AuditRecord(
                    at: now, event: .sessionRevoked, outcome: .success, userId: app.user.id, sessionId: session.id,
                    clientId: nil, method: nil, reason: "test", ipAddress: nil, userAgent: nil, detail: [:]))
            let answer = try await billing(client, token: token)
            #expect(answer.status == .unauthorized)
            #expect(answer.headers[.wwwAuthenticate].flatMap(BearerChallenge.init(header:))?.error == .invalidToken)
        }
    }

    // MARK: Helpers

    /// Password, then acr_values=mfa and the emailed code: returns the redirect to the client.
    func stepUpByEmailedCode(_ browser: RouterBrowser) async throws -> TestResponse {
        let (path, csrf, _) = try await stepUpPage(browser)
        let mailer = FileOutboxMailer(directory: mailDirectory(browser.app))
        let before = mailer.entries().count
        let sent = try await browser.post(path + "/email", ["csrf_token": csrf])
        #expect(sent.status == .ok)
        var code: String?
        for _ in 0..<100 where code == nil {
            if mailer.entries().count > before, let text = mailer.entries().first?.text,
                let match = text.firstMatch(of: /\b(\d{6})\b/)
            {
                code = String(match.1)
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let redirect = try await browser.post(path + "/code", ["csrf_token": csrf, "code": try #require(code)])
        #expect(queryItem("code", in: redirect.location) != nil, "no code after the emailed code: \(redirect.location)")
        return redirect
    }

    func mailDirectory(_ app: TestApp) -> String {
        guard case .outbox(let directory) = app.services.configuration.mail.transport else { return "" }
        return directory
    }

    func accessToken(_ browser: RouterBrowser, redirect: TestResponse) async throws -> String {
        let code = try #require(queryItem("code", in: redirect.location))
        let tokens = try await browser.client.execute(
            uri: "/oauth2/token", method: .post,
            headers: [.authorization: browser.app.basicAuthorization, .contentType: "application/x-www-form-urlencoded"],
            body: formBody(["grant_type": "authorization_code", "code": code, "redirect_uri": TestApp.redirect])
        ) { try $0.json() }
        return try #require(tokens["access_token"] as? String)
    }

    func billing(_ client: any TestClientProtocol, token: String) async throws -> TestResponse {
        try await client.execute(uri: DemoResourceServer.billingPath, method: .get, headers: [.authorization: "Bearer \(token)"]) { $0 }
    }
}
