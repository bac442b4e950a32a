import Foundation
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyStore
import Testing

/// RP-Initiated Logout 1.0 section 2 and 6: only an `id_token_hint` for THIS session, or a confirmation
/// carrying this browser's CSRF token, signs the browser out; anything else just asks.
@Suite struct LogoutRoutesTests {
    @Test func idTokenHintOfAnotherSessionOnlyAsksAndKeepsTheSession() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            _ = try await browser.signInAndRedeem()
            let mine = try #require(try await app.sessions().first)
            // The same user's ID token from another browser's session: right subject, wrong sid.
            let elsewhere = RouterBrowser(app, client)
            let foreign = try #require(try await elsewhere.signInAndRedeem()["id_token"] as? String)

            let page = try await browser.get("/oauth2/logout?id_token_hint=\(foreign)")

            #expect(page.status == .ok)
            #expect(page.text.contains("Sign out?"))
            #expect(browser.sessionCookie != nil)
            #expect(try await app.store.session(id: mine.id)?.revokedAt == nil)
            #expect(queryItem("code", in: try await browser.get(app.authorizeURI("&prompt=none")).location) != nil)
        }
    }

    @Test func confirmationWithoutTheBrowsersCSRFTokenOnlyAsksAgain() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let mine = try #require(try await app.sessions().first)
            let page = try await browser.get("/oauth2/logout")
            let genuine = try csrf(in: page)

            let forged = try await browser.post("/oauth2/logout", ["csrf_token": String(genuine.reversed())])
            let missing = try await browser.post("/oauth2/logout", [:])

            for response in [forged, missing] {
                #expect(response.status == .ok)
                #expect(response.text.contains("Sign out?"))
            }
            #expect(browser.sessionCookie != nil)
            #expect(try await app.store.session(id: mine.id)?.revokedAt == nil)
            #expect(try await app.audit().allSatisfy { $0.event != .signOut })
        }
    }

    @Test func confirmationWithTheBrowsersCSRFTokenSignsOut() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let mine = try #require(try await app.sessions().first)
            let page = try await browser.get("/oauth2/logout")

            let confirmed = try await browser.post("/oauth2/logout", ["csrf_token": try csrf(in: page)])

            #expect(confirmed.text.contains("You’re signed out") || confirmed.text.contains("You're signed out"))
            #expect(browser.sessionCookie == nil)
            #expect(try await app.store.session(id: mine.id)?.revokedAt != nil)
        }
    }
}
