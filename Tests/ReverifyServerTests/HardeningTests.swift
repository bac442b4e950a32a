import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyCrypto
import ReverifyStore
import Testing

/// One browser driving the hosted pages through the router: it keeps its own cookies and follows
/// `Set-Cookie` as a browser does.
final class RouterBrowser: @unchecked Sendable {
    let app: TestApp
    let client: any TestClientProtocol
    var jar = CookieJar()

    init(_ app: TestApp, _ client: any TestClientProtocol) {
        self.app = app
        self.client = client
    }

    func get(_ uri: String) async throws -> TestResponse {
        let response = try await client.execute(uri: uri, method: .get, headers: jar.header) { $0 }
        jar.take(response)
        return response
    }

    func post(_ uri: String, _ fields: [String: String]) async throws -> TestResponse {
        var headers = jar.header
        headers[.contentType] = "application/x-www-form-urlencoded"
        let response = try await client.execute(uri: uri, method: .post, headers: headers, body: formBody(fields)) { $0 }
        jar.take(response)
        return response
    }

    /// Starts an authorization; returns the hosted page's path and its CSRF token when one is shown.
    func startInteraction(_ extra: String = "", scope: String? = nil) async throws -> (path: String, csrf: String) {
        var uri = app.authorizeURI(extra)
        if let scope { uri = uri.replacingOccurrences(of: "scope=openid%20email", with: "scope=\(scope)") }
        let started = try await get(uri)
        #expect(started.location.hasPrefix("/reauth/req_"), "expected a hosted page, got \(started.location)")
        let page = try await get(started.location)
        let csrf = try #require(page.text.firstMatch(of: /name="csrf_token" value="([^"]+)"/)?.1)
        return (started.location, String(csrf))
    }

    /// Verifies by password on a fresh interaction and returns the redirect to the client.
    @discardableResult
    func verifyByPassword(
        _ extra: String = "", scope: String? = nil, email: String = "alice@example.com", password: String = TestApp.password
    ) async throws -> TestResponse {
        let (path, csrf) = try await startInteraction(extra, scope: scope)
        return try await post(path + "/password", ["csrf_token": csrf, "email": email, "password": password])
    }
}

@Suite struct HardeningTests {
    // MARK: Issue 9, item 1: freshness is bound to the browser that verified

    @Test func aCopiedSessionCookieDoesNotInheritTheVictimsReverification() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let victim = RouterBrowser(app, client)
            try await victim.verifyByPassword()
            let attacker = RouterBrowser(app, client)
            attacker.jar.values["reverify_session"] = victim.jar.values["reverify_session"]

            let reverified = try await victim.verifyByPassword("&max_age=0")
            #expect(queryItem("code", in: reverified.location) != nil)

            let copy = try await attacker.get(app.authorizeURI("&prompt=none&max_age=2"))
            #expect(queryItem("error", in: copy.location) == "login_required")
            let original = try await victim.get(app.authorizeURI("&prompt=none&max_age=2"))
            #expect(queryItem("code", in: original.location) != nil)
        }
    }

    @Test func signInIssuesASecretThatTheStoreFindsAndReverificationReplacesIt() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            let first = try #require(browser.jar.values["reverify_session"])
            try await browser.verifyByPassword("&prompt=login")
            let second = try #require(browser.jar.values["reverify_session"])
            #expect(first != second)
            #expect(try await app.store.session(secretHash: TokenHash(of: first).hex) == nil)
            #expect(try await app.store.session(secretHash: TokenHash(of: second).hex)?.userId == app.user.id)
        }
    }

    // MARK: Issue 9, item 3: the lockout holds under concurrency

    @Test func parallelWrongPasswordsNeverGetMoreGuessesThanTheLockoutAllows() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let (path, csrf) = try await browser.startInteraction()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        try await browser.post(path + "/password", ["csrf_token": csrf, "email": "alice@example.com", "password": "guess \(i) guess"]).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == app.services.configuration.lockout.maximumFailures)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 40 - app.services.configuration.lockout.maximumFailures)
        }
    }

    // MARK: Issue 9, item 4: emailed codes count against the account

    @Test func aLockedAccountIsSentNoEmailAndCannotCheckCodes() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let (path, csrf) = try await browser.startInteraction()
            let sent = try await browser.post(path + "/email", ["csrf_token": csrf, "email": "alice@example.com"])
            #expect(sent.status == .ok)
            for i in 0..<app.services.configuration.lockout.maximumFailures {
                _ = try await browser.post(path + "/password", ["csrf_token": csrf, "email": "alice@example.com", "password": "wrong \(i) wrong"])
            }
            let code = try await browser.post(path + "/code", ["csrf_token": csrf, "code": "123456"])
            #expect(code.status == .tooManyRequests)
            let again = try await browser.post(path + "/email", ["csrf_token": csrf, "email": "alice@example.com"])
            #expect(again.status == .tooManyRequests)
            let links = try await app.store.writer.read { db in try MagicLinkRecord.fetchCount(db) }
            #expect(links == 1)
        }
    }

    @Test func wrongCodesInASignInFlowCountAgainstTheAccountTheCodeWasSentTo() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let limit = app.services.configuration.lockout.maximumFailures
            let perCode = app.services.configuration.oneTimeCodes.maximumAttempts
            let (path, csrf) = try await browser.startInteraction()
            for _ in 0..<(limit / perCode) {
                _ = try await browser.post(path + "/email", ["csrf_token": csrf, "email": "alice@example.com"])
                for _ in 0..<perCode { _ = try await browser.post(path + "/code", ["csrf_token": csrf, "code": "000000"]) }
            }
            let audit = try await app.store.auditLog(user: app.user.id, limit: 100)
            #expect(audit.filter { $0.reason == "wrong_code" }.count == limit)
            let password = try await browser.post(
                path + "/password", ["csrf_token": csrf, "email": "alice@example.com", "password": TestApp.password])
            #expect(password.status == .tooManyRequests)
        }
    }

    // MARK: Issue 9, item 9: no account enumeration

    @Test func theLockoutFiresTheSameForAnAddressThatIsNoAccount() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let (path, csrf) = try await browser.startInteraction()
            let limit = app.services.configuration.lockout.maximumFailures
            var statuses: [HTTPResponse.Status] = []
            for i in 0...limit {
                statuses.append(try await browser.post(
                    path + "/password", ["csrf_token": csrf, "email": "Nobody@Example.com ", "password": "guess \(i) guess"]).status)
            }
            #expect(statuses.prefix(limit).allSatisfy { $0 == .unauthorized })
            #expect(statuses.last == .tooManyRequests)
        }
    }

    @Test func theCheckYourEmailPageMasksKnownAndUnknownAddressesAlike() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let (path, csrf) = try await browser.startInteraction()
            let known = try await browser.post(path + "/email", ["csrf_token": csrf, "email": "alice@example.com"])
            let unknown = try await browser.post(path + "/email", ["csrf_token": csrf, "email": "zed@example.com"])
            #expect(known.status == unknown.status)
            #expect(known.text.contains("a•••@example.com"))
            #expect(unknown.text.contains("z•••@example.com"))
            #expect(!unknown.text.contains("zed@example.com"))
            #expect(known.text.replacingOccurrences(of: "a•••", with: "z•••") == unknown.text)
        }
    }

    @Test func sendLimitsAnswerTheSameForAnAddressThatIsNoAccount() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let (path, csrf) = try await browser.startInteraction()
            let limit = app.services.configuration.oneTimeCodes.maximumSendsPerUser
            var statuses: [HTTPResponse.Status] = []
            for _ in 0...limit {
                statuses.append(try await browser.post(path + "/email", ["csrf_token": csrf, "email": "zed@example.com"]).status)
            }
            #expect(statuses.prefix(limit).allSatisfy { $0 == .ok })
            #expect(statuses.last == .tooManyRequests)
        }
    }

    // MARK: Issue 9, item 7: tokens die with their session unless offline_access

    /// Signs in, redeems the code, and returns the token response's JSON.
    private func tokens(_ browser: RouterBrowser, scope: String = "openid%20email") async throws -> [String: Any] {
        let redirect = try await browser.verifyByPassword(scope: scope)
        let code = try #require(queryItem("code", in: redirect.location))
        return try await browser.client.execute(
            uri: "/oauth2/token", method: .post,
            headers: [.authorization: browser.app.basicAuthorization, .contentType: "application/x-www-form-urlencoded"],
            body: formBody(["grant_type": "authorization_code", "code": code, "redirect_uri": TestApp.redirect])
        ) { try $0.json() }
    }

    private func idleOutEverySession(_ app: TestApp) async throws {
        let past = app.services.time.now() - 1
        try await app.store.writer.write { db in
            _ = try SessionRecord.updateAll(db, Column("idle_expires_at").set(to: past))
        }
    }

    private func refresh(_ browser: RouterBrowser, _ token: String) async throws -> TestResponse {
        try await browser.client.execute(
            uri: "/oauth2/token", method: .post,
            headers: [.authorization: browser.app.basicAuthorization, .contentType: "application/x-www-form-urlencoded"],
            body: formBody(["grant_type": "refresh_token", "refresh_token": token])) { $0 }
    }

    @Test func refreshUserinfoAndIntrospectionStopWhenTheSessionGoesIdle() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let issued = try await tokens(browser)
            let access = try #require(issued["access_token"] as? String)
            let refreshToken = try #require(issued["refresh_token"] as? String)
            try await idleOutEverySession(app)

            #expect(try await refresh(browser, refreshToken).status == .badRequest)
            let userinfo = try await client.execute(uri: "/oauth2/userinfo", method: .get, headers: [.authorization: "Bearer \(access)"]) { $0 }
            #expect(userinfo.status == .unauthorized)
            let introspection = try await client.execute(
                uri: "/oauth2/introspect", method: .post,
                headers: [.authorization: app.basicAuthorization, .contentType: "application/x-www-form-urlencoded"],
                body: formBody(["token": access])) { try $0.json() }
            #expect(introspection["active"] as? Bool == false)
        }
    }

    @Test func offlineAccessIsDroppedForAClientNotRegisteredForIt() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let issued = try await tokens(browser, scope: "openid%20offline_access")
            #expect((issued["scope"] as? String)?.contains("offline_access") == false)
            try await idleOutEverySession(app)
            #expect(try await refresh(browser, try #require(issued["refresh_token"] as? String)).status == .badRequest)
        }
    }

    @Test func anOfflineAccessGrantOfAnAllowedClientOutlivesTheSession() async throws {
        let app = try await TestApp.make()
        try await app.store.writer.write { db in
            _ = try ClientRecord.updateAll(db, Column("allow_offline_access").set(to: true))
        }
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let issued = try await tokens(browser, scope: "openid%20offline_access")
            #expect((issued["scope"] as? String)?.contains("offline_access") == true)
            try await idleOutEverySession(app)
            #expect(try await refresh(browser, try #require(issued["refresh_token"] as? String)).status == .ok)
        }
    }

    // MARK: Issue 9, item 17: a relying party's parallel refreshes do not revoke its grant

    @Test func aRepeatOfAJustRotatedRefreshTokenGetsTokensWithinTheGrace() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let first = try #require(try await tokens(browser)["refresh_token"] as? String)
            let rotated = try await refresh(browser, first)
            let repeated = try await refresh(browser, first)
            #expect(rotated.status == .ok)
            #expect(repeated.status == .ok)
            let successor = try #require(try rotated.json()["refresh_token"] as? String)
            #expect(try await refresh(browser, successor).status == .ok)
        }
    }
}
