import Foundation
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import Testing

/// `grant_type=refresh_token` (RFC 6749 6): a refresh token works only for the client it was issued to.
@Suite struct RefreshTokenGrantTests {
    @Test func refreshTokenPresentedByAnotherClientIsRefusedAndStaysUsable() async throws {
        let app = try await TestApp.make()
        let other = try await app.makeClient()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let refreshToken = try #require(try await browser.signInAndRedeem()["refresh_token"] as? String)

            let stolen = try await app.tokenRequest(
                ["grant_type": "refresh_token", "refresh_token": refreshToken], with: client,
                as: TestApp.basic(other.id, other.secret))

            #expect(stolen.status == .badRequest)
            #expect(stolen.jsonObject["error"] as? String == "invalid_grant")
            #expect(stolen.jsonObject["access_token"] == nil)
            // Refused before anything was written: the rightful client's token neither rotated nor was revoked.
            let rightful = try await app.tokenRequest(["grant_type": "refresh_token", "refresh_token": refreshToken], with: client)
            #expect(rightful.status == .ok)
            #expect(rightful.jsonObject["refresh_token"] is String)
        }
    }
}
