import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyServer
import ReverifyStore
import Testing

/// Issue 18: where passkeys are offered, the one script and its CSP, and what the enrolment page binds.
/// (Full ceremonies with real authenticators are in Tests/e2e/test_passkeys.py.)
@Suite struct PasskeyRoutesTests {
    static let localhost = "http://localhost:9000"

    func options(in page: TestResponse) throws -> [String: Any] {
        let encoded = try #require(page.text.firstMatch(of: /data-passkey-options="([^"]*)"/)?.1, "no passkey options")
        let json = String(encoded).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test func aSignInPageOnADomainOffersAPasskeyWithTheOneScript() async throws {
        let app = try await TestApp.make(issuer: Self.localhost)
        try await app.run { client in
            let page = try await RouterBrowser(app, client).open(app.authorizeURI())
            #expect(page.text.contains("id=\"use-passkey\""))
            #expect(page.text.contains("<script src=\"/reauth/static/passkey.js\" defer></script>"))
            #expect(page.response.headers[.contentSecurityPolicy]?.contains("script-src 'self';") == true)
            let options = try options(in: page.response)
            #expect(options["rpId"] as? String == "localhost")
            #expect(options["userVerification"] as? String == "required")
            #expect((options["allowCredentials"] as? [Any])?.isEmpty == true, "a plain sign-in lets the passkey name its user")
        }
    }

    @Test func aPageOnAnIPAddressIssuerHasNoScriptAtAll() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let page = try await RouterBrowser(app, client).open(app.authorizeURI())
            #expect(!page.text.contains("<script"))
            #expect(page.response.headers[.contentSecurityPolicy]?.contains("script-src") == false)
        }
    }

    @Test func theScriptIsServedAsJavaScript() async throws {
        let app = try await TestApp.make(issuer: Self.localhost)
        try await app.run { client in
            let script = try await RouterBrowser(app, client).get("/reauth/static/passkey.js")
            #expect(script.status == .ok)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(script.text.contains("navigator.credentials"))
        }
    }

    @Test func aMalformedResponseIsRefusedOnThePageAndAudited() async throws {
        let app = try await TestApp.make(issuer: Self.localhost)
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let page = try await browser.open(app.authorizeURI())
            let refused = try await browser.submit(page, "/passkey", ["credential": "{not json"])
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("id=\"error\""))
            let reasons = try await app.store.writer.read { db in
                try String.fetchAll(db, sql: "SELECT reason FROM audit_log WHERE method = 'passkey' AND outcome = 'failure'")
            }
            #expect(reasons == ["passkey_malformed_client_data"])
        }
    }

    @Test func theEnrolmentChallengeIsBoundToTheSessionAndStoredOnlyAsAHash() async throws {
        let app = try await TestApp.make(issuer: Self.localhost)
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let page = try await browser.get("/account/security/passkeys/new")
            #expect(page.status == .ok, "\(page.status) \(page.location)")
            let options = try options(in: page)
            let challenge = try #require(options["challenge"] as? String)
            #expect((options["authenticatorSelection"] as? [String: Any])?["residentKey"] as? String == "preferred")
            let stored = try app.store.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT challenge_hash, ceremony, session_id FROM passkey_challenges WHERE ceremony = 'registration'")
            }
            #expect(stored.count == 1)
            #expect(stored.first?["challenge_hash"] as String? == TokenHash(of: challenge).hex)
            #expect(stored.first?["ceremony"] as String? == "registration")
            let session = try #require(try await app.sessions().first)
            #expect(stored.first?["session_id"] as String? == session.id.rawValue)
        }
    }

    @Test func theEnrolmentPageNeedsAVerificationWithinFiveMinutes() async throws {
        let app = try await TestApp.make(issuer: Self.localhost)
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            app.clock.advance(301)
            let page = try await browser.get("/account/security/passkeys/new")
            #expect(page.status == .seeOther)
            #expect(page.location.hasPrefix("/reauth/req_"))
        }
    }
}
