import Foundation
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyStore
import Testing

/// What a session's age does: silent authorization never moves `auth_time` (OIDC Core 12.2), and a session
/// ends after its idle timeout or its absolute lifetime, whichever comes first.
@Suite struct SessionLifetimeTests {
    static let idle: Seconds = .minutes(10)
    static let absolute: Seconds = .minutes(30)

    static func makeApp(absolute: Seconds = .days(7)) async throws -> TestApp {
        try await TestApp.make { configuration in
            configuration.sessionIdleTimeout = idle
            configuration.sessionAbsoluteLifetime = absolute
        }
    }

    /// `prompt=none`: a code if the session is live and fresh enough, else the error, never a page.
    static func silentAuthorize(_ app: TestApp, _ browser: RouterBrowser) async throws -> TestResponse {
        let response = try await browser.get(app.authorizeURI("&prompt=none&max_age=86400"))
        #expect(response.status == .found)
        return response
    }

    @Test func silentAuthorizeLaterNeverMovesAuthTime() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            _ = try await browser.signInAndRedeem()
            let signedInAt = app.clock.now()
            app.clock.advance(100)

            let silent = try await browser.get(app.authorizeURI("&prompt=none&max_age=300"))
            let code = try #require(queryItem("code", in: silent.location), "expected a code, got \(silent.location)")
            let token = try await app.redeem(code, with: client)

            let idToken = try claims(ofJWT: try #require(token.jsonObject["id_token"] as? String))
            #expect(idToken["auth_time"] as? Int64 == signedInAt.rawValue)
            #expect(idToken["iat"] as? Int64 == signedInAt.rawValue + 100)
            #expect(try await app.sessions().first?.authTime == signedInAt)
        }
    }

    @Test func sessionUnusedForItsIdleTimeoutEnds() async throws {
        let app = try await Self.makeApp()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            app.clock.advance(Seconds(Self.idle.rawValue - 1))
            // Use inside the idle window keeps it alive and slides the window.
            #expect(queryItem("code", in: try await Self.silentAuthorize(app, browser).location) != nil)
            app.clock.advance(Seconds(Self.idle.rawValue - 1))
            #expect(queryItem("code", in: try await Self.silentAuthorize(app, browser).location) != nil)

            app.clock.advance(Self.idle)
            let expired = try await Self.silentAuthorize(app, browser)

            #expect(queryItem("error", in: expired.location) == "login_required")
            #expect(try await app.sessions().first?.isActive(at: app.clock.now()) == false)
        }
    }

    @Test func busySessionEndsAtItsAbsoluteLifetime() async throws {
        let app = try await Self.makeApp(absolute: Self.absolute)
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            // Used every 5 minutes: the idle timeout never fires.
            for _ in 1...5 {
                app.clock.advance(.minutes(5))
                #expect(queryItem("code", in: try await Self.silentAuthorize(app, browser).location) != nil)
            }
            app.clock.advance(Seconds(Seconds.minutes(5).rawValue - 1))
            #expect(queryItem("code", in: try await Self.silentAuthorize(app, browser).location) != nil)

            app.clock.advance(1)
            let expired = try await Self.silentAuthorize(app, browser)

            #expect(queryItem("error", in: expired.location) == "login_required")
        }
    }

    @Test func useNearTheAbsoluteEndNeverSlidesIdleExpiryPastIt() async throws {
        let app = try await Self.makeApp(absolute: Self.absolute)
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            for _ in 1...2 {
                app.clock.advance(.minutes(9))
                #expect(queryItem("code", in: try await Self.silentAuthorize(app, browser).location) != nil)
            }
            app.clock.advance(.minutes(7))

            #expect(queryItem("code", in: try await Self.silentAuthorize(app, browser).location) != nil)

            let session = try #require(try await app.sessions().first)
            #expect(session.idleExpiresAt == session.expiresAt)
        }
    }
}
