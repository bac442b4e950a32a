import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyStore
import Testing

/// A response from Reverify's hosted pages, with the flow it belongs to (`/reauth/req_…`) so its forms
/// can be posted.
struct HostedPage {
    /// The flow's page path; `nil` when the response did not come from a hosted flow.
    let path: String?
    let response: TestResponse

    var status: HTTPResponse.Status { response.status }
    var text: String { response.text }
    var location: String { response.location }
    var csrf: String { get throws { try ReverifyServerTests.csrf(in: response) } }
    var flowID: AuthorizationRequestID? { path.flatMap { AuthorizationRequestID(validating: String($0.dropFirst("/reauth/".count))) } }
}

extension RouterBrowser {
    /// GETs a URI and follows redirects that stay on Reverify's hosted pages; stops at one that leaves.
    func open(_ uri: String) async throws -> HostedPage {
        var path: String?
        var response = try await get(uri)
        while response.status == .found, response.location.hasPrefix("/reauth/") {
            path = String(response.location.split(separator: "?")[0])
            response = try await get(response.location)
        }
        return HostedPage(path: path, response: response)
    }

    /// Posts one of a hosted page's forms (`/password`, `/email`, `/code`, `/cancel`) with its CSRF token.
    func submit(_ page: HostedPage, _ action: String, _ fields: [String: String] = [:]) async throws -> HostedPage {
        let path = try #require(page.path, "not a hosted flow's page")
        let response = try await post(path + action, fields.merging(["csrf_token": try page.csrf]) { ours, _ in ours })
        return HostedPage(path: path, response: response)
    }

    var sessionCookie: String? { jar.values["reverify_session"] }

    /// Opens an authorization request (with no session) and signs in by password on the hosted page.
    /// Returns the redirect back to the client.
    @discardableResult
    func signIn(_ extra: String = "", email: String = "alice@example.com", password: String = TestApp.password)
        async throws -> TestResponse
    {
        let page = try await open(app.authorizeURI(extra))
        try #require(page.status == .ok && page.text.contains("Sign in"), "expected the sign-in page, got \(page.status)")
        return try await submit(page, "/password", ["email": email, "password": password]).response
    }

    /// Signs in and redeems the code: the token response's JSON.
    func signInAndRedeem(_ extra: String = "") async throws -> [String: Any] {
        let redirect = try await signIn(extra)
        let code = try #require(queryItem("code", in: redirect.location), "no code in \(redirect.location)")
        let token = try await app.redeem(code, with: client)
        try #require(token.status == .ok, "token request failed: \(token.text)")
        return try token.json()
    }
}

/// The CSRF token of the first form on a page.
func csrf(in page: TestResponse) throws -> String {
    String(try #require(page.text.firstMatch(of: /name="csrf_token" value="([^"]+)"/)?.1, "no csrf_token on the page"))
}

/// The claims of a JWT, read without verifying (the tests check what the server put in).
func claims(ofJWT token: String) throws -> [String: Any] {
    let segments = token.split(separator: ".")
    try #require(segments.count == 3, "not a JWT")
    let data = try #require(Data(base64URL: String(segments[1])))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

extension TestApp {
    /// `POST /oauth2/token` with `grant_type=authorization_code` as the default client (or another one).
    func redeem(
        _ code: String, with client: any TestClientProtocol, redirectURI: String = TestApp.redirect,
        as authorization: String? = nil, extra: [String: String] = [:]
    ) async throws -> TestResponse {
        try await tokenRequest(
            ["grant_type": "authorization_code", "code": code, "redirect_uri": redirectURI].merging(extra) { $1 },
            with: client, as: authorization)
    }

    func tokenRequest(_ fields: [String: String], with client: any TestClientProtocol, as authorization: String? = nil)
        async throws -> TestResponse
    {
        try await client.execute(
            uri: "/oauth2/token", method: .post,
            headers: [.authorization: authorization ?? basicAuthorization, .contentType: "application/x-www-form-urlencoded"],
            body: formBody(fields)
        ) { $0 }
    }

    /// Audit rows of a user, newest first.
    func audit(of user: UserRecord? = nil) async throws -> [AuditRecord] {
        try await store.auditLog(user: (user ?? self.user).id, limit: 200)
    }
}
