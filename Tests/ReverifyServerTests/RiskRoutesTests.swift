import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReverifyCore
@testable import ReverifyServer
import ReverifyStore
import Testing

/// Issue 11 through the HTTP app: the risk policy's outcomes at authorize, bound to the device.
@Suite struct RiskRoutesTests {
    /// A policy where an unknown device alone steps up.
    static func newDeviceStepsUp(_ c: inout ServerConfiguration) {
        c.risk.policy.rules.weights[.newDevice] = 70  // step_up (60), not step_up_mfa (80)
    }

    /// A second browser (its own browser cookie) holding a copy of `browser`'s session cookie.
    private func copy(of browser: RouterBrowser, app: TestApp, client: any TestClientProtocol) async throws -> RouterBrowser {
        let other = RouterBrowser(app, client)
        _ = try await other.get(app.authorizeURI())  // gets its own browser cookie
        other.jar.values["reverify_session"] = browser.jar.values["reverify_session"]
        return other
    }

    @Test func theDeviceThatVerifiedIsKnownAndGoesThroughSilently() async throws {
        let app = try await TestApp.make(configure: Self.newDeviceStepsUp)
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            let silent = try await browser.get(app.authorizeURI())
            #expect(queryItem("code", in: silent.location) != nil)
        }
    }

    @Test func anUnknownDeviceStepsUpAndAnotherDevicesVerificationDoesNotClearIt() async throws {
        let app = try await TestApp.make(configure: Self.newDeviceStepsUp)
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            let other = try await copy(of: browser, app: app, client: client)
            let started = try await other.get(app.authorizeURI())
            #expect(started.location.hasPrefix("/reauth/req_"))
            let pending = try #require(try await app.store.writer.read { db in
                try AuthorizationRequestRecord.order(Column("rowid").desc).fetchOne(db)
            })
            #expect(pending.reason == .risk)
            let audit = try #require(try await app.store.auditLog(user: app.user.id, limit: 20).first { $0.event == .riskStepUpRequired })
            #expect(audit.detail["risk_triggers"] == "new_device")
            #expect(audit.detail["device_known"] == "false")
        }
    }

    @Test func aStepUpOnTheNewDeviceClearsTheTriggerForThatDeviceOnly() async throws {
        let app = try await TestApp.make(configure: Self.newDeviceStepsUp)
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            let other = try await copy(of: browser, app: app, client: client)
            let third = try await copy(of: other, app: app, client: client)
            let (path, csrf) = try await other.startInteraction()
            let verified = try await other.post(path + "/password", ["csrf_token": csrf, "email": "alice@example.com", "password": TestApp.password])
            #expect(queryItem("code", in: verified.location) != nil)
            let silent = try await other.get(app.authorizeURI())
            #expect(queryItem("code", in: silent.location) != nil)
            // A third browser with the newest session cookie is still unknown: the trigger stays for it.
            third.jar.values["reverify_session"] = other.jar.values["reverify_session"]
            let stillRisky = try await third.get(app.authorizeURI())
            #expect(stillRisky.location.hasPrefix("/reauth/req_"))
        }
    }

    @Test func promptNoneInARiskyContextIsLoginRequired() async throws {
        let app = try await TestApp.make(configure: Self.newDeviceStepsUp)
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            let other = try await copy(of: browser, app: app, client: client)
            let answer = try await other.get(app.authorizeURI("&prompt=none"))
            #expect(queryItem("error", in: answer.location) == "login_required")
        }
    }

    private func flagEverySession(_ app: TestApp, _ reason: String) async throws {
        let now = app.services.time.now()
        for session in try await app.store.sessions(user: app.user.id) {
            try await app.store.flagSession(
                id: session.id, reason: reason, until: nil, at: now,
                audit: AuditRecord(at: now, event: .riskStepUpRequired, outcome: .info, userId: app.user.id, reason: "flagged"))
        }
    }

    @Test func aCompromisedFlagDeniesWithAnAuditRowAndAnEvent() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            try await flagEverySession(app, "compromised")
            let answer = try await browser.get(app.authorizeURI())
            #expect(queryItem("error", in: answer.location) == "access_denied")
            let denied = try #require(try await app.store.auditLog(user: app.user.id, limit: 20).first {
                $0.event == .riskStepUpRequired && $0.outcome == .failure
            })
            #expect(denied.reason == "deny")
            let events = try await app.store.writer.read { db in
                try String.fetchAll(db, sql: "SELECT type FROM outbox_events")
            }
            #expect(events.contains("session.risk_step_up_required"))
        }
    }

    @Test func aNonCompliantDeviceNeedsASecondFactor() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            try await flagEverySession(app, "device_not_compliant")
            let started = try await browser.get(app.authorizeURI())
            #expect(started.location.hasPrefix("/reauth/req_"))
            let page = try await browser.get(started.location)
            #expect(page.text.contains("looks different from usual"))
            #expect(!page.text.contains(#"name="password""#))
        }
    }
}
