import Foundation
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyCrypto
import ReverifyStore
import Testing

/// `POST /oauth2/token` with `grant_type=authorization_code`: a code only yields tokens for exactly what
/// it was bound to (RFC 6749 4.1.3, RFC 7636 4.6, DESIGN 2).
@Suite struct CodeRedemptionTests {
    /// A code for the signed-in session as the authorization endpoint would store it.
    func storeCode(_ app: TestApp, minAuthTime: UnixTime?, challenge: String? = nil) async throws -> String {
        let session = try #require(try await app.sessions().first)
        let code = OpaqueToken.generate(prefix: "rvc")
        let now = app.clock.now()
        try await app.store.insertCode(
            AuthorizationCodeRecord(
                codeHash: code.hash.hex, clientId: app.clientID, redirectUri: TestApp.redirect, sessionId: session.id,
                userId: app.user.id, scope: "openid", nonce: "nn", codeChallenge: challenge, minAuthTime: minAuthTime,
                createdAt: now, expiresAt: now + 60))
        return code.value
    }

    @Test func codeWhoseRequestDemandedALaterAuthTimeIsRefused() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let signedInAt = app.clock.now()
            app.clock.advance(60)
            // The request arrived now with prompt=login, but its re-authentication never happened.
            let stale = try await storeCode(app, minAuthTime: app.clock.now())

            let response = try await app.redeem(stale, with: client)

            #expect(response.status == .badRequest)
            #expect(response.jsonObject["error"] as? String == "invalid_grant")
            #expect((response.jsonObject["error_description"] as? String)?.contains("re-authenticated") == true)
            #expect(try await app.sessions().first?.authTime == signedInAt)
        }
    }

    @Test func codeWhoseSessionIsFreshEnoughIsRedeemed() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let signedInAt = app.clock.now()
            app.clock.advance(60)
            // max_age=300 at this moment asks for auth_time >= now - 300, which the sign-in satisfies.
            let fresh = try await storeCode(app, minAuthTime: app.clock.now() - 300)

            let response = try await app.redeem(fresh, with: client)

            #expect(response.status == .ok)
            let idToken = try #require(response.jsonObject["id_token"] as? String)
            #expect(try claims(ofJWT: idToken)["auth_time"] as? Int64 == signedInAt.rawValue)
        }
    }

    @Test func redeemingWithTheClientsOtherRegisteredRedirectURIIsRefused() async throws {
        let app = try await TestApp.make()
        let other = "http://127.0.0.1:9999/other-cb"
        let twoURIs = try await app.makeClient(redirectURIs: [TestApp.redirect, other])
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let page = try await browser.open(
                "/oauth2/authorize?response_type=code&client_id=\(twoURIs.id)&redirect_uri=\(TestApp.redirect)&scope=openid&state=st&nonce=nn")
            let redirect = try await browser.submit(page, "/password", ["email": app.user.email, "password": TestApp.password])
            let code = try #require(queryItem("code", in: redirect.location))

            let response = try await app.redeem(
                code, with: client, redirectURI: other, as: TestApp.basic(twoURIs.id, twoURIs.secret))

            #expect(response.status == .badRequest)
            #expect(response.jsonObject["error"] as? String == "invalid_grant")
            #expect(response.jsonObject["error_description"] as? String == "redirect_uri does not match")
        }
    }

    @Test func verifierForACodeIssuedWithoutAChallengeIsADowngradeAndRefused() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            // A confidential client's request without code_challenge: PKCE is optional for it.
            let redirect = try await browser.signIn()
            let code = try #require(queryItem("code", in: redirect.location))

            let response = try await app.redeem(
                code, with: client, extra: ["code_verifier": String(repeating: "v", count: 64)])

            #expect(response.status == .badRequest)
            #expect(response.jsonObject["error"] as? String == "invalid_grant")
            #expect((response.jsonObject["error_description"] as? String)?.contains("no code_challenge") == true)
            // The code was burned by the attempt: it never works afterwards.
            #expect(try await app.redeem(code, with: client).jsonObject["error"] as? String == "invalid_grant")
        }
    }
}
