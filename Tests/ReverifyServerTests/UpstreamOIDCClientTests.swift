import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import ReverifyServer
import ReverifyCore
import ReverifyCrypto
import ReverifyStore
import Testing

@Suite struct UpstreamOIDCClientTests {
    /// RFC 9111 5.2.2: discovery and JWKS are cached for their max-age; no-store/no-cache mean refetch.
    @Test func cacheLifetimeHonoursCacheControl() {
        func lifetime(_ header: String) -> Seconds {
            UpstreamOIDCClient.cacheLifetime(header, default: 300, maximum: .days(1))
        }
        #expect(lifetime("public, max-age=600") == 600)
        #expect(lifetime("max-age=\"60\"") == 60)
        #expect(lifetime("") == 300)
        #expect(lifetime("no-store") == 0)
        #expect(lifetime("max-age=600, no-cache") == 0)
        #expect(lifetime("max-age=999999999") == .days(1))
        #expect(lifetime("max-age=-5") == 300)
    }

    @Test func clientCredentialsAreFormEncodedForBasic() {
        // RFC 6749 2.3.1: id and secret are application/x-www-form-urlencoded before Basic.
        #expect(UpstreamOIDCClient.formEncode("a b:c/d+e") == "a%20b%3Ac%2Fd%2Be")
    }

    /// The callback refuses a state it never issued, without touching anything.
    @Test func callbackWithUnknownStateIsRefused() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(uri: "/reauth/upstream/callback?state=forged&code=x", method: .get) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/reauth/upstream/callback?code=x", method: .get) { response in
                #expect(response.status == .badRequest)
            }
            #expect(try await app.store.auditLog(user: nil, limit: 5).contains { $0.reason == "upstream_unknown_state" })
        }
    }
}
