import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyServer
import ReverifyStore
import Testing

/// The headers security depends on (issue 16 item 6): the exact CSP `form-action` of every hosted page whose
/// forms end in a redirect, and the attributes of both cookies over http and https.
@Suite struct HostedPageHeaderTests {
    /// The test client's registered redirect URI is `http://127.0.0.1:9999/cb`.
    static let clientOrigin = "http://127.0.0.1:9999"
    static let expectedFormAction = "form-action 'self' \(clientOrigin)"

    @Test func signInPageAllowsFormsToReachOnlyItselfAndTheClientOrigin() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            var browser = RouterBrowser(client: client, app: app)
            let page = try await browser.startFlow()
            #expect(page.text.contains("<h1>Sign in</h1>"))
            #expect(formAction(of: page) == Self.expectedFormAction)
        }
    }

    @Test func reauthenticationPageAllowsFormsToReachOnlyItselfAndTheClientOrigin() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            var browser = RouterBrowser(client: client, app: app)
            try await browser.signIn()
            let page = try await browser.startFlow("&prompt=login")
            #expect(page.text.contains("Confirm it"))
            #expect(formAction(of: page) == Self.expectedFormAction)
        }
    }

    @Test func codeEntryPageAllowsFormsToReachOnlyItselfAndTheClientOrigin() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            var browser = RouterBrowser(client: client, app: app)
            let checkEmail = try await browser.requestEmail(after: try await browser.startFlow())
            #expect(checkEmail.status == .ok)
            #expect(checkEmail.text.contains("Check your email"))
            #expect(formAction(of: checkEmail) == Self.expectedFormAction)
        }
    }

    @Test func linkConfirmationPageAllowsFormsToReachOnlyItselfAndTheClientOrigin() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            var browser = RouterBrowser(client: client, app: app)
            _ = try await browser.requestEmail(after: try await browser.startFlow())
            let link = try #require(app.mailedText().firstMatch(of: /\/reauth\/magic\/[A-Za-z0-9_\-]+/))
            let confirmation = try await browser.get(String(link.0))
            #expect(confirmation.status == .ok)
            #expect(confirmation.text.contains("id=\"confirm-link\""))
            #expect(formAction(of: confirmation) == Self.expectedFormAction)
        }
    }

    @Test func pageOfferingAnUpstreamAlsoAllowsTheProviderOrigin() async throws {
        let app = try await TestApp.make()
        try await app.store.createUpstreamProvider(
            UpstreamProviderRecord(
                id: UpstreamProviderID(rawValue: IdentifierGenerator.make(prefix: UpstreamProviderID.prefix)), name: "Corp",
                issuer: "https://idp.example.com:8443/tenant", clientId: "reverify", clientSecret: "s3cret",
                scope: "openid email", emailDomains: [], createdAt: app.services.time.now()))
        try await app.run { client in
            var browser = RouterBrowser(client: client, app: app)
            let page = try await browser.startFlow()
            #expect(page.text.contains("Continue with Corp"))
            #expect(formAction(of: page) == Self.expectedFormAction + " https://idp.example.com:8443")
        }
    }

    @Test func cookiesOverHTTPAreHttpOnlyLaxAndUnprefixed() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            var browser = RouterBrowser(client: client, app: app)
            _ = try await browser.startFlow()
            let signedIn = try await browser.signIn()
            let browserCookie = try #require(browser.setCookies["reverify_browser"])
            let sessionCookie = try #require(cookies(in: signedIn)["reverify_session"])
            for cookie in [browserCookie, sessionCookie] {
                #expect(cookie.contains("httponly"))
                #expect(cookie.contains("samesite=lax"))
                #expect(cookie.contains("path=/"))
                #expect(!cookie.contains("secure"))
            }
        }
    }

    @Test func cookiesOverHTTPSAreSecureHostPrefixedHttpOnlyAndLax() async throws {
        let app = try await TestApp.make(issuer: "https://reverify.example")
        try await app.run { client in
            var browser = RouterBrowser(client: client, app: app, cookiePrefix: "__Host-")
            _ = try await browser.startFlow()
            let signedIn = try await browser.signIn()
            #expect(browser.setCookies["reverify_browser"] == nil)
            let browserCookie = try #require(browser.setCookies["__Host-reverify_browser"])
            let sessionCookie = try #require(cookies(in: signedIn)["__Host-reverify_session"])
            for cookie in [browserCookie, sessionCookie] {
                // RFC 6265bis 4.1.3.2: __Host- needs Secure, Path=/ and no Domain.
                #expect(cookie.contains("secure"))
                #expect(cookie.contains("path=/"))
                #expect(!cookie.contains { $0.hasPrefix("domain") })
                #expect(cookie.contains("httponly"))
                #expect(cookie.contains("samesite=lax"))
            }
        }
    }
}

/// The `form-action` directive of a response's CSP, exactly as sent.
func formAction(of response: TestResponse) -> String? {
    response.headers[.contentSecurityPolicy]?.split(separator: ";")
        .map { $0.trimmingCharacters(in: .whitespaces) }
        .first { $0.hasPrefix("form-action ") }
}

/// `Set-Cookie` headers by cookie name, attributes lower-cased (`name=value; httponly; …`).
func cookies(in response: TestResponse) -> [String: Set<String>] {
    var result: [String: Set<String>] = [:]
    for header in response.headers[values: .setCookie] {
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let name = parts.first?.split(separator: "=", maxSplits: 1).first else { continue }
        result[String(name)] = Set(parts.dropFirst().map { $0.lowercased() })
    }
    return result
}

extension TestApp {
    /// The plain-text bodies of every message in the test's outbox, concatenated.
    func mailedText() -> String {
        FileOutboxMailer(directory: directory.appendingPathComponent("mail").path).entries().map(\.text).joined(separator: "\n")
    }
}

/// Drives the hosted pages through the router the way a browser does: keeps cookies, reads CSRF tokens.
struct RouterBrowser {
    let client: any TestClientProtocol
    let app: TestApp
    var cookiePrefix = ""
    var jar = CookieJar()
    /// Every `Set-Cookie` seen, by name, attributes lower-cased.
    var setCookies: [String: Set<String>] = [:]
    var flowPath = ""

    init(client: any TestClientProtocol, app: TestApp, cookiePrefix: String = "") {
        self.client = client
        self.app = app
        self.cookiePrefix = cookiePrefix
    }

    private mutating func keep(_ response: TestResponse) {
        jar.take(response)
        setCookies.merge(cookies(in: response)) { _, new in new }
    }

    mutating func get(_ uri: String) async throws -> TestResponse {
        let response = try await client.execute(uri: uri, method: .get, headers: jar.header) { $0 }
        keep(response)
        return response
    }

    mutating func post(_ uri: String, _ fields: [String: String]) async throws -> TestResponse {
        var headers = jar.header
        headers[.contentType] = "application/x-www-form-urlencoded"
        let response = try await client.execute(uri: uri, method: .post, headers: headers, body: formBody(fields)) { $0 }
        keep(response)
        return response
    }

    /// Opens an authorization request that needs a hosted page and returns that page.
    mutating func startFlow(_ extra: String = "") async throws -> TestResponse {
        let interaction = try await get(app.authorizeURI(extra))
        #expect(interaction.location.hasPrefix("/reauth/req_"), "expected a hosted page, got \(interaction.status)")
        flowPath = interaction.location
        return try await get(interaction.location)
    }

    static func csrf(in page: TestResponse) throws -> String {
        String(try #require(page.text.firstMatch(of: /name="csrf_token" value="([^"]+)"/)?.1))
    }

    /// Signs in by password on a fresh flow; returns the redirect to the client.
    @discardableResult
    mutating func signIn() async throws -> TestResponse {
        let page = try await startFlow()
        let response = try await post(
            flowPath + "/password",
            ["csrf_token": try Self.csrf(in: page), "email": app.user.email, "password": TestApp.password])
        #expect(response.status == .found && response.location.hasPrefix(TestApp.redirect))
        return response
    }

    /// Presses "Email me a link" on a sign-in page.
    mutating func requestEmail(after page: TestResponse) async throws -> TestResponse {
        try await post(flowPath + "/email", ["csrf_token": try Self.csrf(in: page), "email": app.user.email])
    }
}
