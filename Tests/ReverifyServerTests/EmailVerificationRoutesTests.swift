import Foundation
import Hummingbird
import HummingbirdTesting
import ReverifyCore
@testable import ReverifyServer
import ReverifyStore
import Testing

/// Emailed link and code (DESIGN 2): their lifetime, their attempt limit, the browser they are bound to,
/// and how many may be sent.
@Suite struct EmailVerificationRoutesTests {
    struct Mail {
        let code: String
        let linkPath: String
    }

    /// The newest message in the file outbox for `recipient`. Mail leaves off the request path, so this
    /// waits (up to 10 s) for it to be written.
    static func newestMail(_ app: TestApp, to recipient: String) async throws -> Mail {
        let outbox = FileOutboxMailer(directory: app.outbox.path)
        var entry = outbox.entries().first { $0.to == recipient }
        for _ in 0..<200 where entry == nil {
            try await Task.sleep(for: .milliseconds(50))
            entry = outbox.entries().first { $0.to == recipient }
        }
        let found = try #require(entry, "no mail to \(recipient) within 10 s")
        let code = try #require(found.text.firstMatch(of: /is: (\d{6})/)?.1)
        let link = try #require(found.text.firstMatch(of: /(\/reauth\/magic\/rvm_[A-Za-z0-9_-]+)/)?.1)
        return Mail(code: String(code), linkPath: String(link))
    }

    /// Starts a sign-in (no session) and asks for an email to `email`; returns the "check your email" page.
    static func requestEmail(_ app: TestApp, _ browser: RouterBrowser, email: String = "alice@example.com")
        async throws -> HostedPage
    {
        let page = try await browser.open(app.authorizeURI())
        return try await browser.submit(page, "/email", ["email": email])
    }

    @Test func linkAndCodeStopWorkingAtTheEndOfTheirLifetime() async throws {
        let app = try await TestApp.make()
        let lifetime = app.services.configuration.oneTimeCodes.lifetime
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let check = try await Self.requestEmail(app, browser)
            let mail = try await Self.newestMail(app, to: app.user.email)
            app.clock.advance(Seconds(lifetime.rawValue - 1))
            #expect(try await browser.get(mail.linkPath).status == .ok, "still usable one second before expiry")

            app.clock.advance(1)
            let opened = try await browser.get(mail.linkPath)
            let typed = try await browser.submit(check, "/code", ["code": mail.code])

            #expect(opened.status == .gone)
            #expect(typed.status == .gone)
            #expect(typed.text.contains("expired"))
            #expect(browser.sessionCookie == nil)
        }
    }

    @Test func burnedCodeAnswersGoneEvenWhenRight() async throws {
        let app = try await TestApp.make()
        let attempts = app.services.configuration.oneTimeCodes.maximumAttempts
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            var page = try await Self.requestEmail(app, browser)
            let mail = try await Self.newestMail(app, to: app.user.email)
            let wrong = mail.code == "000000" ? "111111" : "000000"
            for _ in 0..<attempts {
                page = try await browser.submit(page, "/code", ["code": wrong])
                #expect(page.status == .unauthorized)
            }

            let right = try await browser.submit(page, "/code", ["code": mail.code])

            #expect(right.status == .gone)
            #expect(right.text.contains("can no longer be used"))
            #expect(browser.sessionCookie == nil)
            #expect(try await app.sessions().isEmpty)
        }
    }

    @Test func linkIsRefusedOnGetAndPostInAnotherBrowserWithItsOwnCookie() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let check = try await Self.requestEmail(app, browser)
            let mail = try await Self.newestMail(app, to: app.user.email)
            // Another browser that has been here before: it has a browser cookie of its own.
            let stranger = RouterBrowser(app, client)
            _ = try await stranger.open(app.authorizeURI())
            #expect(stranger.jar.values["reverify_browser"] != nil)
            #expect(stranger.jar.values["reverify_browser"] != browser.jar.values["reverify_browser"])

            let opened = try await stranger.get(mail.linkPath)
            let confirmed = try await stranger.post(mail.linkPath, ["csrf_token": try check.csrf])

            #expect(opened.status == .forbidden)
            #expect(confirmed.status == .forbidden)
            #expect(stranger.sessionCookie == nil)
            // The stranger used up nothing: the original browser still finishes, here by the code.
            let finished = try await browser.submit(check, "/code", ["code": mail.code])
            #expect(finished.status == .found)
            #expect(queryItem("code", in: finished.location) != nil)
            #expect(browser.sessionCookie != nil)
        }
    }

    @Test func sendsFromOneAddressAreLimitedAcrossAccounts() async throws {
        let app = try await TestApp.make { $0.oneTimeCodes.maximumSendsPerIP = 3 }
        let others = [
            try await app.makeUser(email: "bob@example.com"), try await app.makeUser(email: "carol@example.com"),
            try await app.makeUser(email: "dave@example.com"),
        ]
        // A real socket, so the server sees the peer address 127.0.0.1.
        try await app.run(live: true) { client in
            let browser = RouterBrowser(app, client)
            for user in [app.user, others[0], others[1]] {
                #expect(try await Self.requestEmail(app, browser, email: user.email).status == .ok)
            }
            let dave = others[2]

            let refused = try await Self.requestEmail(app, browser, email: dave.email)

            #expect(refused.status == .tooManyRequests)
            #expect(refused.text.contains("from your network"))
            let flow = try #require(refused.flowID)
            #expect(try await app.store.newestMagicLink(request: flow) == nil, "no link was made for dave")
            #expect(try await app.audit(of: dave).first?.reason == "rate_limited")

            app.clock.advance(Seconds(app.services.configuration.oneTimeCodes.rateWindow.rawValue + 1))
            #expect(try await Self.requestEmail(app, browser, email: dave.email).status == .ok)
        }
    }
}
