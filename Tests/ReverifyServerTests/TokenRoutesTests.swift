import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct TokenRoutesTests {
    @Test func wrongClientSecretIsInvalidClientWithABasicChallenge() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let bad = "Basic " + Data("\(app.clientID):wrong".utf8).base64EncodedString()
            try await client.execute(
                uri: "/oauth2/token", method: .post,
                headers: [.authorization: bad, .contentType: "application/x-www-form-urlencoded"],
                body: formBody(["grant_type": "authorization_code", "code": "x", "redirect_uri": TestApp.redirect])
            ) { response in
                #expect(response.status == .unauthorized)
                #expect(response.jsonObject["error"] as? String == "invalid_client")
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            }
        }
    }

    /// RFC 6749 2.3.1: the id and secret are form-urlencoded before Basic encoding.
    @Test func percentEncodedBasicCredentialsAuthenticateAndMalformedOnesDoNot() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let encodedID = app.clientID.rawValue.replacingOccurrences(of: "_", with: "%5F")
            for (id, status) in [(encodedID, HTTPResponse.Status.badRequest), (encodedID + "%zz", .unauthorized)] {
                try await client.execute(
                    uri: "/oauth2/token", method: .post,
                    headers: [
                        .authorization: "Basic " + Data("\(id):\(app.clientSecret)".utf8).base64EncodedString(),
                        .contentType: "application/x-www-form-urlencoded",
                    ],
                    body: formBody(["grant_type": "authorization_code", "code": "made-up", "redirect_uri": TestApp.redirect])
                ) { response in
                    #expect(response.status == status, "\(id)")
                    #expect(response.jsonObject["error"] as? String == (status == .badRequest ? "invalid_grant" : "invalid_client"))
                }
            }
        }
    }

    @Test func unknownCodeIsInvalidGrant() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(
                uri: "/oauth2/token", method: .post,
                headers: [.authorization: app.basicAuthorization, .contentType: "application/x-www-form-urlencoded"],
                body: formBody(["grant_type": "authorization_code", "code": "made-up", "redirect_uri": TestApp.redirect])
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.jsonObject["error"] as? String == "invalid_grant")
            }
        }
    }

    @Test func unsupportedGrantTypeIsNamed() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(
                uri: "/oauth2/token", method: .post,
                headers: [.authorization: app.basicAuthorization, .contentType: "application/x-www-form-urlencoded"],
                body: formBody(["grant_type": "password"])
            ) { response in
                #expect(response.jsonObject["error"] as? String == "unsupported_grant_type")
            }
        }
    }

    @Test func twoClientAuthenticationMethodsAreRefused() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(
                uri: "/oauth2/token", method: .post,
                headers: [.authorization: app.basicAuthorization, .contentType: "application/x-www-form-urlencoded"],
                body: formBody(["grant_type": "refresh_token", "refresh_token": "x", "client_secret": app.clientSecret])
            ) { response in
                #expect(response.jsonObject["error"] as? String == "invalid_request")
            }
        }
    }

    @Test func basicClientAuthenticatingWithPostIsInvalidClient() async throws {
        // Issue 9 item 12: the registered token_endpoint_auth_method is the only one accepted.
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(
                uri: "/oauth2/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: formBody([
                    "grant_type": "authorization_code", "code": "x", "redirect_uri": TestApp.redirect,
                    "client_id": app.clientID.rawValue, "client_secret": app.clientSecret,
                ])
            ) { response in
                #expect(response.status == .unauthorized)
                #expect(response.jsonObject["error"] as? String == "invalid_client")
                #expect((response.jsonObject["error_description"] as? String)?.contains("client_secret_basic") == true)
            }
        }
    }

    @Test func userInfoWithoutTokenIsChallenged() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(uri: "/oauth2/userinfo", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
        }
    }

    @Test func introspectionOfGarbageIsInactive() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            try await client.execute(
                uri: "/oauth2/introspect", method: .post,
                headers: [.authorization: app.basicAuthorization, .contentType: "application/x-www-form-urlencoded"],
                body: formBody(["token": "garbage"])
            ) { response in
                #expect(response.status == .ok)
                #expect(response.jsonObject["active"] as? Bool == false)
            }
        }
    }
}
