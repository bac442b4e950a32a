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
            let (_, page) = try await RouterBrowser(app, client).openPage()
            #expect(page.text.contains("<h1>Sign in</h1>"))
            #expect(formAction(of: page) == Self.expectedFormAction)
        }
    }

    @Test func reauthenticationPageAllowsFormsToReachOnlyItselfAndTheClientOrigin() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            let (_, page) = try await browser.openPage("&prompt=login")
            #expect(page.text.contains("Confirm it"))
            #expect(formAction(of: page) == Self.expectedFormAction)
        }
    }

    @Test func codeEntryPageAllowsFormsToReachOnlyItselfAndTheClientOrigin() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let (path, page) = try await browser.openPage()
            let checkEmail = try await browser.requestEmail(path, page: page)
            #expect(checkEmail.status == .ok)
            #expect(checkEmail.text.contains("Check your email"))
            #expect(formAction(of: checkEmail) == Self.expectedFormAction)
        }
    }

    @Test func linkConfirmationPageAllowsFormsToReachOnlyItselfAndTheClientOrigin() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let (path, page) = try await browser.openPage()
            _ = try await browser.requestEmail(path, page: page)
            let link = try #require(try await app.mailedText().firstMatch(of: /\/reauth\/magic\/[A-Za-z0-9_\-]+/))
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
            let (_, page) = try await RouterBrowser(app, client).openPage()
            #expect(page.text.contains("Continue with Corp"))
            #expect(formAction(of: page) == Self.expectedFormAction + " https://idp.example.com:8443")
        }
    }

    @Test func cookiesOverHTTPAreHttpOnlyLaxAndUnprefixed() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let started = try await browser.get(app.authorizeURI())
            let signedIn = try await browser.verifyByPassword()
            let browserCookie = try #require(cookies(in: started)["reverify_browser"])
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
            let browser = RouterBrowser(app, client)
            let started = try await browser.get(app.authorizeURI())
            #expect(cookies(in: started)["reverify_browser"] == nil)
            let browserCookie = try #require(cookies(in: started)["__Host-reverify_browser"])
            let (path, csrf) = try await browser.startInteraction()
            let signedIn = try await browser.post(
                path + "/password", ["csrf_token": csrf, "email": app.user.email, "password": TestApp.password])
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
    /// The plain-text bodies of the messages in the test's outbox, once at least one arrived (mail is sent off
    /// the request path), concatenated.
    func mailedText() async throws -> String {
        let outbox = FileOutboxMailer(directory: directory.appendingPathComponent("mail").path)
        for _ in 0..<100 {
            let texts = outbox.entries().map(\.text)
            if !texts.isEmpty { return texts.joined(separator: "\n") }
            try await Task.sleep(for: .milliseconds(50))
        }
        return ""
    }
}

extension RouterBrowser {
    /// Opens an authorization request that needs a hosted page; returns its path and the page.
    func openPage(_ extra: String = "") async throws -> (path: String, page: TestResponse) {
        let (path, _) = try await startInteraction(extra)
        return (path, try await get(path))
    }

    /// Presses "Email me a link" on a sign-in page.
    func requestEmail(_ path: String, page: TestResponse) async throws -> TestResponse {
        let csrf = try #require(page.text.firstMatch(of: /name="csrf_token" value="([^"]+)"/)?.1)
        return try await post(path + "/email", ["csrf_token": String(csrf), "email": app.user.email])
    }
}
