import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReverifyCore
@testable import ReverifyServer
import ReverifyStore
import Testing

/// Issue 18: the account security page, authenticator-app enrolment and step-up with a TOTP code.
@Suite struct AccountSecurityRoutesTests {
    /// The security page's CSRF token, from its first form.
    func securityPage(_ browser: RouterBrowser) async throws -> (TestResponse, csrf: String) {
        let page = try await browser.get("/account/security")
        #expect(page.status == .ok, "security page: \(page.status) \(page.location)")
        return (page, try csrf(in: page))
    }

    /// Signs in, enrols an authenticator app and confirms it with a code of the current step.
    func enrol(_ app: TestApp, _ browser: RouterBrowser) async throws -> FactorRecord {
        let (_, token) = try await securityPage(browser)
        let started = try await browser.post("/account/security/totp", ["csrf_token": token])
        #expect(started.status == .seeOther)
        let id = try #require(FactorID(validating: String(started.location.split(separator: "/").last ?? "")), "\(started.location)")
        let enrolment = try await browser.get(started.location)
        #expect(enrolment.text.contains("<svg"), "the QR code is drawn on the page")
        #expect(enrolment.text.contains("otpauth://totp/Reverify:alice@example.com?secret="))
        let factor = try #require(try await app.store.factor(id: id))
        let code = TOTPAuthenticator(secret: try #require(factor.secret)).code(step: TOTPRules.step(at: app.clock.now()))
        let confirmed = try await browser.post(
            "/account/security/totp/\(id)/confirm", ["csrf_token": try csrf(in: enrolment), "code": code, "name": "Pixel"])
        #expect(confirmed.status == .ok, "\(confirmed.text)")
        #expect(confirmed.text.contains("is set up"))
        return try #require(try await app.store.factor(id: id))
    }

    func code(_ app: TestApp, _ factor: FactorRecord, stepOffset: Int64 = 0) -> String {
        TOTPAuthenticator(secret: factor.secret!).code(step: TOTPRules.step(at: app.clock.now()) + stepOffset)
    }

    @Test func codesMatchTheRFC6238TestVectors() {
        // RFC 6238 appendix B (SHA-1 key "12345678901234567890"): 94287082 at 59 s, 07081804 at 1111111109 s;
        // a 6-digit code is the last six digits (RFC 4226 5.3).
        let authenticator = TOTPAuthenticator(secret: "12345678901234567890")
        #expect(authenticator.code(step: TOTPRules.step(at: UnixTime(59))) == "287082")
        #expect(authenticator.code(step: TOTPRules.step(at: UnixTime(1_111_111_109))) == "081804")
    }

    @Test func theSecurityPageSignsInFirstAndComesBack() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let start = try await browser.get("/account/security")
            #expect(start.status == .seeOther && start.location.hasPrefix("/reauth/req_"))
            let page = try await browser.get(start.location)
            #expect(page.text.contains("Sign in"))
            let done = try await browser.post(
                start.location + "/password", ["csrf_token": try csrf(in: page), "email": "alice@example.com", "password": TestApp.password])
            #expect(done.status == .seeOther && done.location == "/account/security")
            let (security, _) = try await securityPage(browser)
            #expect(security.text.contains("No second factor yet"))
            #expect(security.headers[.contentSecurityPolicy]?.contains("form-action 'self';") == true)
        }
    }

    @Test func addingAFactorMoreThanFiveMinutesAfterVerifyingNeedsAReverification() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            app.clock.advance(Seconds(301))
            let (_, token) = try await securityPage(browser)
            let gated = try await browser.post("/account/security/totp", ["csrf_token": token])
            #expect(gated.status == .seeOther && gated.location.hasPrefix("/reauth/req_"), "\(gated.location)")
            #expect(try await app.store.factors(user: app.user.id).isEmpty, "nothing is added before the re-verification")
            let confirm = try await browser.get(gated.location)
            #expect(confirm.text.contains("Confirm it's you") && confirm.text.contains("change how you sign in"))
            let back = try await browser.post(gated.location + "/password", ["csrf_token": try csrf(in: confirm), "password": TestApp.password])
            #expect(back.status == .seeOther && back.location == "/account/security")
            let (_, fresh) = try await securityPage(browser)
            let started = try await browser.post("/account/security/totp", ["csrf_token": fresh])
            #expect(started.location.hasPrefix("/account/security/totp/fac_"))
        }
    }

    @Test func removingTheLastFactorAfterFiveMinutesNeedsAReverification() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let factor = try await enrol(app, browser)
            app.clock.advance(Seconds(301))
            let (_, token) = try await securityPage(browser)
            let gated = try await browser.post("/account/security/factors/\(factor.id)/remove", ["csrf_token": token])
            #expect(gated.location.hasPrefix("/reauth/req_"))
            #expect(try await app.store.factors(user: app.user.id).count == 1)
        }
    }

    @Test func aFormWithoutTheSessionsCSRFTokenChangesNothing() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let refused = try await browser.post("/account/security/totp", ["csrf_token": "forged"])
            #expect(refused.status == .forbidden)
            #expect(try await app.store.factors(user: app.user.id).isEmpty)
        }
    }

    @Test func aWrongCodeDoesNotConfirmTheEnrolment() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let (_, token) = try await securityPage(browser)
            let started = try await browser.post("/account/security/totp", ["csrf_token": token])
            let enrolment = try await browser.get(started.location)
            let refused = try await browser.post(started.location + "/confirm", ["csrf_token": try csrf(in: enrolment), "code": "000000"])
            #expect(refused.status == .unauthorized)
            #expect(try await app.store.factors(user: app.user.id).allSatisfy { !$0.isConfirmed })
        }
    }

    @Test func aTOTPCodeReverifiesOnceAndWithAPasswordMakesMFA() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let factor = try await enrol(app, browser)
            app.clock.advance(Seconds(60))
            let page = try await browser.open(app.authorizeURI("&max_age=30"))
            #expect(page.text.contains("Use your authenticator app"))
            let code = code(app, factor)
            let done = try await browser.submit(page, "/totp", ["code": code])
            #expect(done.status == .found && queryItem("code", in: done.location) != nil, "\(done.status) \(done.text)")
            let session = try #require(try await app.sessions().first { $0.revokedAt == nil })
            #expect(session.authTime == app.clock.now())
            #expect(session.amr == [.otp, .mfa] && session.acr == .multiFactor, "password 60 s ago + app code")

            // The same code again, within its step: refused, and audited as a reuse.
            let again = try await browser.open(app.authorizeURI("&max_age=0"))
            let replay = try await browser.submit(again, "/totp", ["code": code])
            #expect(replay.status == .unauthorized && replay.text.contains("already used"))
            #expect(try await app.audit().first?.reason == "code_reused")
        }
    }

    @Test func codesTwoStepsAwayAreRefusedOneStepAwayAccepted() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let factor = try await enrol(app, browser)
            app.clock.advance(Seconds(90))
            let page = try await browser.open(app.authorizeURI("&max_age=0"))
            let early = try await browser.submit(page, "/totp", ["code": code(app, factor, stepOffset: 2)])
            #expect(early.status == .unauthorized)
            let late = try await browser.submit(page, "/totp", ["code": code(app, factor, stepOffset: -2)])
            #expect(late.status == .unauthorized)
            let drifted = try await browser.submit(page, "/totp", ["code": code(app, factor, stepOffset: 1)])
            #expect(drifted.status == .found && queryItem("code", in: drifted.location) != nil)
        }
    }

    @Test func wrongCodesCountTowardsTheAccountLockout() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let factor = try await enrol(app, browser)
            app.clock.advance(Seconds(60))
            let page = try await browser.open(app.authorizeURI("&max_age=0"))
            for _ in 0..<LockoutPolicy().maximumFailures {
                let wrong = try await browser.submit(page, "/totp", ["code": "999999" == code(app, factor) ? "999998" : "999999"])
                #expect(wrong.status == .unauthorized)
            }
            let locked = try await browser.submit(page, "/totp", ["code": code(app, factor)])
            #expect(locked.status == .tooManyRequests)
            // The password shares the budget.
            let password = try await browser.submit(page, "/password", ["password": TestApp.password])
            #expect(password.status == .tooManyRequests)
        }
    }

    @Test func cancellingTheAccountReverificationReturnsToTheSecurityPage() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            app.clock.advance(Seconds(301))
            let (_, token) = try await securityPage(browser)
            let gated = try await browser.post("/account/security/totp", ["csrf_token": token])
            let confirm = try await browser.get(gated.location)
            let cancelled = try await browser.post(gated.location + "/cancel", ["csrf_token": try csrf(in: confirm)])
            #expect(cancelled.status == .seeOther && cancelled.location == "/account/security")
        }
    }
}

/// Issue 18: the security page's forms and pending enrolments across a re-verification.
@Suite struct AccountSecurityReverificationTests {
    @Test func aFormFromBeforeAReverificationNoLongerWorks() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let before = try csrf(in: try await browser.get("/account/security"))
            // Any verification replaces the session secret, and with it the page's CSRF token.
            let page = try await browser.open(app.authorizeURI("&max_age=0"))
            _ = try await browser.submit(page, "/password", ["password": TestApp.password])
            let stale = try await browser.post("/account/security/totp", ["csrf_token": before])
            #expect(stale.status == .forbidden)
            let fresh = try csrf(in: try await browser.get("/account/security"))
            #expect(fresh != before)
            #expect(try await browser.post("/account/security/totp", ["csrf_token": fresh]).status == .seeOther)
        }
    }

    @Test func anEnrolmentLeftOverFiveMinutesAsksToVerifyAndReturnsToTheSameSecret() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.signIn()
            let token = try csrf(in: try await browser.get("/account/security"))
            let started = try await browser.post("/account/security/totp", ["csrf_token": token])
            app.clock.advance(Seconds(301))
            let gated = try await browser.get(started.location)
            #expect(gated.status == .seeOther && gated.location.hasPrefix("/reauth/req_"), "the secret is not shown again")
            let confirm = try await browser.get(gated.location)
            let back = try await browser.post(gated.location + "/password", ["csrf_token": try csrf(in: confirm), "password": TestApp.password])
            #expect(back.location == started.location)
            let enrolment = try await browser.get(back.location)
            #expect(enrolment.status == .ok && enrolment.text.contains("<svg"))
        }
    }
}
