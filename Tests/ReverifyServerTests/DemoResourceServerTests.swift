import Foundation
import Hummingbird
import HummingbirdTesting
import ReverifyCore
@testable import ReverifyServer
import ReverifyStore
import Testing

/// The demo's protected API (`/demo/api/billing`, RFC 9470) through the router, with the test clock.
@Suite struct DemoResourceServerTests {
    func billing(_ client: any TestClientProtocol, token: String) async throws -> TestResponse {
        try await client.execute(uri: DemoResourceServer.billingPath, method: .get, headers: [.authorization: "Bearer \(token)"]) { $0 }
    }

    func challenge(of response: TestResponse) throws -> BearerChallenge {
        try #require(response.headers[.wwwAuthenticate].flatMap(BearerChallenge.init(header:)), "no Bearer challenge")
    }

    /// Signs in by password, steps up to mfa with the emailed code, and redeems the code: the access token.
    func mfaAccessToken(_ app: TestApp, _ browser: RouterBrowser) async throws -> String {
        try await browser.signIn()
        let page = try await browser.open(app.authorizeURI("&acr_values=\(ACR.multiFactor.rawValue)"))
        try #require(page.text.contains(#"id="step-up-reason""#), "expected the step-up page")
        let mailer = FileOutboxMailer(directory: app.outbox.path)
        let sent = try await browser.submit(page, "/email")
        var code: String?
        for _ in 0..<200 where code == nil {
            // Mail leaves off the request path: wait for it.
            code = mailer.entries().first.flatMap { $0.text.firstMatch(of: /\b(\d{6})\b/) }.map { String($0.1) }
            if code == nil { try await Task.sleep(for: .milliseconds(25)) }
        }
        let redirect = try await browser.submit(sent, "/code", ["code": try #require(code, "no email arrived")])
        let authorizationCode = try #require(queryItem("code", in: redirect.location), "no code in \(redirect.location)")
        let token = try await app.redeem(authorizationCode, with: browser.client).json()
        let accessToken = try #require(token["access_token"] as? String)
        #expect(try claims(ofJWT: accessToken)["acr"] as? String == ACR.multiFactor.rawValue)
        return accessToken
    }

    @Test func aOneFactorTokenGetsTheStepUpChallengeWithLevelAndMaxAge() async throws {
        let app = try await TestApp.make { $0.demo = true }
        try await app.run { client in
            let token = try #require(try await RouterBrowser(app, client).signInAndRedeem()["access_token"] as? String)
            let answer = try await billing(client, token: token)
            #expect(answer.status == .unauthorized)
            let challenge = try challenge(of: answer)
            #expect(challenge.error == .insufficientUserAuthentication)
            #expect(challenge.acrValues == [ACR.multiFactor.rawValue])
            #expect(challenge.maxAge == DemoResourceServer.billingRequirement.maxAge)
        }
    }

    @Test func anMFATokenIsServedUntilItsAuthTimeIsOlderThanMaxAge() async throws {
        let app = try await TestApp.make { $0.demo = true }
        try await app.run { client in
            let token = try await mfaAccessToken(app, RouterBrowser(app, client))
            let fresh = try await billing(client, token: token)
            #expect(fresh.status == .ok)
            #expect(fresh.jsonObject["acr"] as? String == ACR.multiFactor.rawValue)

            app.clock.advance(301)
            let stale = try await billing(client, token: token)

            #expect(stale.status == .unauthorized)
            let challenge = try challenge(of: stale)
            #expect(challenge.error == .insufficientUserAuthentication)
            #expect(challenge.errorDescription == "a more recent authentication is required")
        }
    }

    @Test func aTokenOfARevokedSessionIsAnsweredWithInvalidToken() async throws {
        let app = try await TestApp.make { $0.demo = true }
        try await app.run { client in
            let token = try #require(try await RouterBrowser(app, client).signInAndRedeem()["access_token"] as? String)
            let session = try #require(try await app.store.sessions(user: app.user.id).first)
            let now = app.clock.now()
            _ = try await app.store.revokeSession(
                id: session.id, at: now,
                audit: AuditRecord(
                    at: now, event: .sessionRevoked, outcome: .success, userId: app.user.id, sessionId: session.id,
                    clientId: nil, method: nil, reason: "test", ipAddress: nil, userAgent: nil, detail: [:]))
            let answer = try await billing(client, token: token)
            #expect(answer.status == .unauthorized)
            #expect(try challenge(of: answer).error == .invalidToken)
        }
    }

    @Test func noTokenGetsABareBearerChallenge() async throws {
        let app = try await TestApp.make { $0.demo = true }
        try await app.run { client in
            let answer = try await client.execute(uri: DemoResourceServer.billingPath, method: .get) { $0 }
            #expect(answer.status == .unauthorized)
            #expect(answer.headers[.wwwAuthenticate] == "Bearer")
        }
    }
}
