import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyStore
import Testing

/// A browser for HTTP tests: it sends its cookies with every request and takes every `Set-Cookie`
/// (so a session secret that is replaced after a verification is followed, as a real browser would),
/// and it follows Reverify's own redirects to the hosted pages.
struct TestBrowser {
    let client: any TestClientProtocol
    var jar = CookieJar()

    init(_ client: any TestClientProtocol) { self.client = client }

    /// The hosted page the last authorization request led to (`/reauth/req_…`).
    private(set) var pagePath: String?

    mutating func get(_ uri: String) async throws -> TestResponse {
        let response = try await client.execute(uri: uri, method: .get, headers: jar.header) { $0 }
        jar.take(response)
        return response
    }

    mutating func post(_ uri: String, _ fields: [String: String]) async throws -> TestResponse {
        var headers = jar.header
        headers[.contentType] = "application/x-www-form-urlencoded"
        let response = try await client.execute(uri: uri, method: .post, headers: headers, body: formBody(fields)) { $0 }
        jar.take(response)
        return response
    }

    /// GETs a URI and follows redirects that stay on Reverify's hosted pages; stops at one that leaves.
    mutating func open(_ uri: String) async throws -> TestResponse {
        var response = try await get(uri)
        while response.status == .found, response.location.hasPrefix("/reauth/") {
            pagePath = String(response.location.split(separator: "?")[0])
            response = try await get(response.location)
        }
        return response
    }

    /// Posts a hosted page's form (`/password`, `/email`, `/code`, `/cancel`) with its CSRF token.
    mutating func submit(_ page: TestResponse, _ action: String, _ fields: [String: String] = [:]) async throws
        -> TestResponse
    {
        let path = try #require(pagePath, "no hosted page was opened")
        return try await post(path + action, fields.merging(["csrf_token": try csrf(in: page)]) { ours, _ in ours })
    }

    var sessionCookie: String? { jar.values["reverify_session"] }
}

/// The CSRF token of the first form on a hosted page.
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
    /// Opens an authorization request in a browser with no session and signs in by password.
    /// Returns the redirect back to the client.
    func signIn(
        _ browser: inout TestBrowser, extra: String = "", email: String = "alice@example.com",
        password: String = TestApp.password
    ) async throws -> TestResponse {
        let page = try await browser.open(authorizeURI(extra))
        try #require(page.status == .ok && page.text.contains("Sign in"), "expected the sign-in page, got \(page.status)")
        return try await browser.submit(page, "/password", ["email": email, "password": password])
    }

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

    /// Signs in and redeems the code: the token response's JSON.
    func signInAndRedeem(_ browser: inout TestBrowser, extra: String = "") async throws -> [String: Any] {
        let redirect = try await signIn(&browser, extra: extra)
        let code = try #require(queryItem("code", in: redirect.location), "no code in \(redirect.location)")
        let token = try await redeem(code, with: browser.client)
        try #require(token.status == .ok, "token request failed: \(token.text)")
        return try token.json()
    }

    /// Audit rows of a user, newest first.
    func audit(of user: UserRecord? = nil) async throws -> [AuditRecord] {
        try await store.auditLog(user: (user ?? self.user).id, limit: 200)
    }
}
