import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyServer
import ReverifyStore
import Testing

/// Token exchange at instants the test clock sets: rules about the subject token's lifetime that the e2e
/// suite could only check by waiting ten minutes.
@Suite struct TokenExchangeRoutesTests {
    static let api = "https://api.example/billing"

    /// A workload client registered with an ES256 key, and the assertions it signs at the app's current time.
    struct Workload {
        let id: ClientID
        let keys: JWTKeyCollection

        struct Assertion: JWTPayload {
            let iss: String
            let sub: String
            let aud: String
            let iat: Int64
            let exp: Int64
            let jti: String
            func verify(using algorithm: some JWTAlgorithm) async throws {}
        }

        static func register(in app: TestApp, actions: [String: ActionPolicy]) async throws -> Workload {
            let key = ES256PrivateKey()
            let (x, y) = try #require(key.publicKey.parameters)
            let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","kid":"w1","x":"\#(x)","y":"\#(y)"}]}"#
            let id = ClientID(rawValue: IdentifierGenerator.make(prefix: "cli"))
            try await app.store.createClient(
                StoredClient(
                    record: ClientRecord(
                        id: id, name: "Agent", secretHash: nil, tokenEndpointAuthMethod: .privateKeyJWT, actions: actions,
                        createdAt: app.clock.now(), jwks: jwks, kind: .workload, allowedAudiences: [api]),
                    redirectURIs: [], postLogoutRedirectURIs: []))
            let keys = JWTKeyCollection()
            await keys.add(ecdsa: key, kid: "w1")
            return Workload(id: id, keys: keys)
        }

        func assertion(_ app: TestApp) async throws -> String {
            let now = app.clock.now().rawValue
            return try await keys.sign(
                Assertion(
                    iss: id.rawValue, sub: id.rawValue, aud: app.services.configuration.url("/oauth2/token"), iat: now,
                    exp: now + 60, jti: UUID().uuidString),
                kid: "w1")
        }
    }

    func exchange(_ token: String, by workload: Workload, app: TestApp, client: any TestClientProtocol) async throws
        -> TestResponse
    {
        try await client.execute(
            uri: "/oauth2/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: formBody([
                "grant_type": TokenExchangeRules.grantType, "subject_token": token,
                "subject_token_type": TokenExchangeRules.accessTokenType, "audience": Self.api,
                "authorization_details": #"[{"type":"reverify_action","action":"billing.change"}]"#,
                "client_assertion_type": ClientAssertionRules.assertionType,
                "client_assertion": try await workload.assertion(app),
            ])) { $0 }
    }

    @Test func anExpiredSubjectTokenIsInvalidGrant() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let workload = try await Workload.register(in: app, actions: ["billing.change": ActionPolicy(maxAge: 86_400)])
            let person = try await RouterBrowser(app, client).signInAndRedeem()
            let token = try #require(person["access_token"] as? String)
            app.clock.advance(Seconds(app.services.configuration.accessTokenLifetime.rawValue + 1))
            let response = try await exchange(token, by: workload, app: app, client: client)
            #expect(response.status == .badRequest)
            #expect(try response.json()["error"] as? String == "invalid_grant")
        }
    }

    @Test func theExchangedTokenNeverOutlivesItsSubject() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let workload = try await Workload.register(in: app, actions: ["billing.change": ActionPolicy(maxAge: 86_400)])
            let person = try await RouterBrowser(app, client).signInAndRedeem()
            let token = try #require(person["access_token"] as? String)
            app.clock.advance(Seconds(app.services.configuration.accessTokenLifetime.rawValue - 60))
            let response = try await exchange(token, by: workload, app: app, client: client)
            #expect(response.status == .ok, "\(response.text)")
            let body = try response.json()
            #expect(body["expires_in"] as? Int == 60)
            let exchanged = try claims(ofJWT: try #require(body["access_token"] as? String))
            let subject = try claims(ofJWT: token)
            #expect(exchanged["exp"] as? Int64 == subject["exp"] as? Int64)
        }
    }
}
