import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct DiscoveryRoutesTests {
    @Test func discoveryAdvertisesFreshnessClaimsAndS256Only() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(uri: "/.well-known/openid-configuration", method: .get) { response in
                #expect(response.status == .ok)
                let doc = try response.json()
                #expect(doc["issuer"] as? String == "http://127.0.0.1:9000")
                #expect(doc["authorization_endpoint"] as? String == "http://127.0.0.1:9000/oauth2/authorize")
                #expect(doc["code_challenge_methods_supported"] as? [String] == ["S256"])
                let claims = Set(doc["claims_supported"] as? [String] ?? [])
                #expect(claims.isSuperset(of: ["auth_time", "amr", "acr", "sid"]))
                #expect(doc["response_types_supported"] as? [String] == ["code"])
            }
        }
    }

    @Test func jwksPublishesTheActiveES256Key() async throws {
        let app = try await TestApp.make()
        let kid = try await app.store.publishedSigningKeys().first { $0.algorithm == "ES256" }?.kid
        try await app.run { client in
            try await client.execute(uri: "/.well-known/jwks.json", method: .get) { response in
                let keys = try response.json()["keys"] as? [[String: Any]] ?? []
                #expect(keys.count == 1)
                #expect(keys.first?["kid"] as? String == kid)
                #expect(keys.first?["kty"] as? String == "EC")
                #expect(keys.first?["crv"] as? String == "P-256")
                #expect(keys.first?["d"] == nil)
            }
        }
    }

    @Test func healthzReportsOK() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.jsonObject["status"] as? String == "ok")
            }
        }
    }
}
