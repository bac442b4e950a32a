import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReverifyCore
import ReverifyStore
import Testing

/// Issue 10 through the HTTP app: step-up pages, unreachable levels, decay in later tokens.
@Suite struct AssuranceLevelRoutesTests {
    static let mfa = ACR.multiFactor.rawValue

    /// Rewrites every session as if its only verification (a password) happened `age` seconds ago, at `acr`.
    private func ageSessions(_ app: TestApp, by age: Int64, acr: ACR = .singleFactor, mfaAge: Int64? = nil) async throws {
        let then = app.services.time.now() - Seconds(age)
        var levels = LevelHistory()
        levels.record(.singleFactor, at: then)
        if let mfaAge { levels.record(.multiFactor, at: app.services.time.now() - Seconds(mfaAge)) }
        let history = VerificationHistory([.password: then])
        let amr: [AMR] = acr == .multiFactor ? [.pwd, .otp, .mfa] : [.pwd]
        let encode = { (value: any Encodable) in String(decoding: try JSONEncoder().encode(value), as: UTF8.self) }
        let (levelsJSON, historyJSON, amrJSON) = (try encode(levels), try encode(history), try encode(amr))
        try await app.store.writer.write { db in
            _ = try SessionRecord.updateAll(
                db, Column("auth_time").set(to: then), Column("acr").set(to: acr), Column("amr").set(to: amrJSON),
                Column("levels").set(to: levelsJSON), Column("verifications").set(to: historyJSON))
        }
    }

    private func restrictActions(_ app: TestApp, _ actions: [String: ActionPolicy]) async throws {
        let json = String(decoding: try JSONEncoder().encode(actions), as: UTF8.self)
        try await app.store.writer.write { db in _ = try ClientRecord.updateAll(db, Column("actions").set(to: json)) }
    }

    private func claims(of jwt: String) throws -> [String: Any] {
        let payload = try #require(Data(base64URL: String(jwt.split(separator: ".")[1])))
        return try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
    }

    @Test func aStepUpAfterAPasswordOffersOnlyMethodsThatRaiseTheLevel() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            let started = try await browser.get(app.authorizeURI("&acr_values=\(Self.mfa)"))
            #expect(started.location.hasPrefix("/reauth/req_"))
            let page = try await browser.get(started.location)
            #expect(page.text.contains(#"id="step-up-reason""#))
            #expect(page.text.contains("Test RP asks for a second step"))
            #expect(!page.text.contains(#"name="password""#))
            #expect(page.text.contains("/email\""))
        }
    }

    @Test func promptNoneBelowTheLevelIsInteractionRequired() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            let answer = try await browser.get(app.authorizeURI("&prompt=none&acr_values=\(Self.mfa)"))
            #expect(queryItem("error", in: answer.location) == "interaction_required")
        }
    }

    @Test func anEssentialLevelThisUserCannotReachIsUnmet() async throws {
        let app = try await TestApp.make()
        try await restrictActions(app, ["vault.open": ActionPolicy(maxAge: 600, methods: [.emailCode, .magicLink], minimumLevel: .multiFactor)])
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            try await ageSessions(app, by: 3600)
            let answer = try await browser.get(app.authorizeURI("&action=vault.open"))
            #expect(queryItem("error", in: answer.location) == "unmet_authentication_requirements")
            #expect(queryItem("state", in: answer.location) == "st")
        }
    }

    @Test func aVoluntaryLevelThisUserCannotReachContinuesAtTheLevelReached() async throws {
        let app = try await TestApp.make()
        try await restrictActions(app, ["notes.read": ActionPolicy(maxAge: 86_400, methods: [.emailCode, .magicLink])])
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            try await ageSessions(app, by: 3600)
            let answer = try await browser.get(app.authorizeURI("&action=notes.read&acr_values=\(Self.mfa)"))
            #expect(queryItem("code", in: answer.location) != nil)
        }
    }

    @Test func tokensMintedAfterTheLevelDecayedCarryTheLowerLevelButIntrospectionKeepsWhatWasMinted() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            let redirect = try await browser.verifyByPassword()
            try await ageSessions(app, by: 10, acr: .multiFactor, mfaAge: 10)
            let code = try #require(queryItem("code", in: redirect.location))
            let headers: HTTPFields = [.authorization: app.basicAuthorization, .contentType: "application/x-www-form-urlencoded"]
            let first = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: headers,
                body: formBody(["grant_type": "authorization_code", "code": code, "redirect_uri": TestApp.redirect])) { try $0.json() }
            let firstID = try claims(of: try #require(first["id_token"] as? String))
            #expect(firstID["acr"] as? String == Self.mfa)

            try await ageSessions(app, by: 10, acr: .multiFactor, mfaAge: Int64(app.services.configuration.levelLifetimes.lifetime(of: .multiFactor)!.rawValue) + 1)
            let refreshed = try await client.execute(
                uri: "/oauth2/token", method: .post, headers: headers,
                body: formBody(["grant_type": "refresh_token", "refresh_token": try #require(first["refresh_token"] as? String)])) { try $0.json() }
            let laterID = try claims(of: try #require(refreshed["id_token"] as? String))
            #expect(laterID["acr"] as? String == ACR.singleFactor.rawValue)
            #expect((laterID["amr"] as? [String])?.contains("mfa") == false)

            let introspected = try await client.execute(
                uri: "/oauth2/introspect", method: .post, headers: headers,
                body: formBody(["token": try #require(first["access_token"] as? String)])) { try $0.json() }
            #expect(introspected["acr"] as? String == Self.mfa)
        }
    }

    @Test func theAuditRecordsTheLevelBeforeAndWhichRuleAskedForIt() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let browser = RouterBrowser(app, client)
            try await browser.verifyByPassword()
            _ = try await browser.get(app.authorizeURI("&acr_values=\(Self.mfa)"))
            let decision = try #require(try await app.store.auditLog(user: app.user.id, limit: 20).first { $0.event == .authorizeDecision })
            #expect(decision.detail["acr_before"] == ACR.singleFactor.rawValue)
            #expect(decision.detail["acr_required"] == Self.mfa)
            #expect(decision.detail["acr_source"] == "request")
            #expect(decision.reason == "reauthenticate:acr")
        }
    }
}
