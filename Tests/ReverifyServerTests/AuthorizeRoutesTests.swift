import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import Testing

@Suite struct AuthorizeRoutesTests {
    @Test func unknownClientGetsAPageNeverARedirect() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(
                uri: "/oauth2/authorize?response_type=code&client_id=cli_nope&redirect_uri=https://evil.example/&scope=openid",
                method: .get
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.location] == nil)
                #expect(response.text.contains("not registered"))
            }
        }
    }

    @Test func hostedPagesCarrySecurityHeaders() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(uri: "/oauth2/authorize?client_id=cli_nope", method: .get) { response in
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            }
        }
    }

    @Test func unregisteredRedirectURIGetsAPage() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let uri = app.authorizeURI().replacingOccurrences(of: "9999/cb", with: "9999/other")
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.location] == nil)
            }
        }
    }

    @Test func invalidMaxAgeIsRedirectedWithStateAndIssuer() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(uri: app.authorizeURI("&max_age=-5"), method: .get) { response in
                #expect(response.status == .found)
                #expect(response.location.hasPrefix(TestApp.redirect + "?"))
                #expect(queryItem("error", in: response.location) == "invalid_request")
                #expect(queryItem("state", in: response.location) == "st")
                #expect(queryItem("iss", in: response.location) == "http://127.0.0.1:9000")
            }
        }
    }

    @Test func promptNoneWithoutSessionIsLoginRequired() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(uri: app.authorizeURI("&prompt=none"), method: .get) { response in
                #expect(queryItem("error", in: response.location) == "login_required")
            }
        }
    }

    @Test func signInThenRedeemCodeYieldsTokensWithAuthTime() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            var jar = CookieJar()
            let interaction = try await client.execute(uri: app.authorizeURI("&max_age=300"), method: .get) { $0 }
            jar.take(interaction)
            #expect(interaction.location.hasPrefix("/reauth/req_"))

            let page = try await client.execute(uri: interaction.location, method: .get, headers: jar.header) { $0 }
            #expect(page.status == .ok)
            let csrf = try #require(page.text.firstMatch(of: /name="csrf_token" value="([^"]+)"/)?.1)

            var headers = jar.header
            headers[.contentType] = "application/x-www-form-urlencoded"
            let wrong = try await client.execute(
                uri: interaction.location + "/password", method: .post, headers: headers,
                body: formBody(["csrf_token": String(csrf), "email": "alice@example.com", "password": "nope nope"])) { $0 }
            #expect(wrong.status == .unauthorized)

            let signedIn = try await client.execute(
                uri: interaction.location + "/password", method: .post, headers: headers,
                body: formBody(["csrf_token": String(csrf), "email": "alice@example.com", "password": TestApp.password])) { $0 }
            #expect(signedIn.status == .found)
            jar.take(signedIn)
            #expect(jar.values["reverify_session"] != nil)
            let code = try #require(queryItem("code", in: signedIn.location))
            #expect(queryItem("iss", in: signedIn.location) == "http://127.0.0.1:9000")

            let token = try await client.execute(
                uri: "/oauth2/token", method: .post,
                headers: [.authorization: app.basicAuthorization, .contentType: "application/x-www-form-urlencoded"],
                body: formBody(["grant_type": "authorization_code", "code": code, "redirect_uri": TestApp.redirect])) { $0 }
            #expect(token.status == .ok)
            #expect(token.headers[.cacheControl] == "no-store")
            let json = try token.json()
            #expect(json["token_type"] as? String == "Bearer")
            #expect(json["refresh_token"] is String)
            let idToken = try #require(json["id_token"] as? String)
            let claims = try #require(
                JSONSerialization.jsonObject(with: Data(base64URL: String(idToken.split(separator: ".")[1]))!) as? [String: Any])
            #expect(claims["auth_time"] is Int)
            #expect(claims["amr"] as? [String] == ["pwd"])
            #expect(claims["nonce"] as? String == "nn")
            #expect(claims["sub"] as? String == app.user.id.rawValue)

            let audit = try await app.store.auditLog(user: app.user.id, limit: 10)
            #expect(audit.contains { $0.event == .signIn && $0.outcome == .failure && $0.reason == "wrong_password" })
            #expect(audit.contains { $0.event == .signIn && $0.outcome == .success && $0.method == .password })
        }
    }

    @Test func hostedPageRefusesAnotherBrowser() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let interaction = try await client.execute(uri: app.authorizeURI(), method: .get) { $0 }
            try await client.execute(
                uri: interaction.location, method: .get, headers: [.cookie: "reverify_browser=someone-else"]
            ) { response in
                #expect(response.status == .forbidden)
                #expect(response.text.contains("different browser"))
            }
        }
    }
}

extension Data {
    init?(base64URL: String) {
        var s = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        self.init(base64Encoded: s)
    }
}
