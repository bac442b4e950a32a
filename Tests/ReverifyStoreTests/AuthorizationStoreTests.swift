import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing
import Foundation


/// Authorization requests, codes, grants and refresh rotation, on every backend (issue 14 item 4).
@Suite struct AuthorizationStoreTests {

    // MARK: Codes and grants

    @Test(arguments: Backend.all) func testCodeRedeemsOnceAndCreatesTheGrant(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let client = try await fixture.client()
        let session = try await fixture.session(for: user)
        let code = try await fixture.code(client: client, session: session)
        let (issuance, _) = fixture.issuance()
        let result = try await store.redeemCode(hash: code.codeHash, at: fixture.now + 1, issuance: issuance, replayAudit: fixture.replayAudit) { _, _ in nil }
        guard case .redeemed(_, let grant, let redeemedSession) = result else { Issue.record("\(result)"); return }
        #expect(grant.id == issuance.grantID)
        #expect(redeemedSession.id == session.id)
        #expect(try await store.accessToken(jti: issuance.accessToken.jti) != nil)
    }

    @Test(arguments: Backend.all) func testReplayedCodeRevokesTheGrantAndItsAccessTokens(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let client = try await fixture.client()
        let code = try await fixture.code(client: client, session: try await fixture.session(for: user))
        let (first, _) = fixture.issuance()
        _ = try await store.redeemCode(hash: code.codeHash, at: fixture.now + 1, issuance: first, replayAudit: fixture.replayAudit) { _, _ in nil }
        let (second, _) = fixture.issuance()
        let replay = try await store.redeemCode(hash: code.codeHash, at: fixture.now + 2, issuance: second, replayAudit: fixture.replayAudit) { _, _ in nil }
        #expect(replay == .replayed(revokedGrant: first.grantID))
        let replayAudit = try await store.auditLog(user: user.id, limit: 10).first { $0.event == .codeReplay }
        #expect(replayAudit?.detail["revoked_grant"] == first.grantID.rawValue)
        #expect(try await store.grant(id: first.grantID)?.revokedAt != nil)
        #expect(try await store.accessToken(jti: first.accessToken.jti)?.revokedAt != nil)
        #expect(try await store.grant(id: second.grantID) == nil)
    }

    @Test(arguments: Backend.all) func testRejectedCodeIsBurnedAndIssuesNothing(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let client = try await fixture.client()
        let code = try await fixture.code(client: client, session: try await fixture.session(for: user))
        let (issuance, _) = fixture.issuance()
        let result = try await store.redeemCode(hash: code.codeHash, at: fixture.now + 1, issuance: issuance, replayAudit: fixture.replayAudit) { _, _ in
            .invalidGrant("nope")
        }
        #expect(result == .rejected(.invalidGrant("nope")))
        #expect(try await store.grant(id: issuance.grantID) == nil)
        let again = try await store.redeemCode(hash: code.codeHash, at: fixture.now + 2, issuance: fixture.issuance().0, replayAudit: fixture.replayAudit) { _, _ in nil }
        #expect(again == .replayed(revokedGrant: nil))
    }

    @Test(arguments: Backend.all) func testExpiredCodeIsRefused(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let client = try await fixture.client()
        let code = try await fixture.code(client: client, session: try await fixture.session(for: user))
        let result = try await store.redeemCode(hash: code.codeHash, at: fixture.now + 60, issuance: fixture.issuance().0, replayAudit: fixture.replayAudit) { _, _ in nil }
        #expect(result == .expired)
    }

    @Test(arguments: Backend.all) func testRefreshRotationThenReuseRevokesTheFamily(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let client = try await fixture.client()
        let code = try await fixture.code(client: client, session: try await fixture.session(for: user))
        let (issuance, firstRefresh) = fixture.issuance()
        _ = try await store.redeemCode(hash: code.codeHash, at: fixture.now, issuance: issuance, replayAudit: fixture.replayAudit) { _, _ in nil }

        let (next, secondRefresh) = fixture.issuance()
        let rotated = try await store.rotateRefreshToken(hash: firstRefresh, at: fixture.now + 5, issuance: next, reuseAudit: fixture.reuseAudit, reuseGrace: 0) { _ in nil }
        guard case .rotated(let grant, _, _) = rotated else { Issue.record("\(rotated)"); return }
        #expect(grant.id == issuance.grantID)
        #expect(try await store.refreshToken(hash: secondRefresh)?.parentHash == firstRefresh)

        let reuse = try await store.rotateRefreshToken(hash: firstRefresh, at: fixture.now + 6, issuance: fixture.issuance().0, reuseAudit: fixture.reuseAudit, reuseGrace: 0) { _ in nil }
        #expect(reuse == .reused(revokedGrant: issuance.grantID))
        #expect(try await store.auditLog(user: user.id, limit: 10).contains { $0.event == .refreshTokenReuse })
        let afterReuse = try await store.rotateRefreshToken(hash: secondRefresh, at: fixture.now + 7, issuance: fixture.issuance().0, reuseAudit: fixture.reuseAudit, reuseGrace: 0) { _ in nil }
        #expect(afterReuse == .rejected(.invalidGrant("the grant was revoked")))
    }

    /// A redeemed grant for a new session, with the hash of its first refresh token.
    private func redeemedGrant(_ fixture: StoreFixture, scope: String = "openid") async throws -> (TokenIssuance, refresh: String, session: SessionRecord) {
        let user = try await fixture.user()
        let client = try await fixture.client()
        let session = try await fixture.session(for: user)
        let code = try await fixture.code(client: client, session: session, scope: scope)
        let (issuance, refresh) = fixture.issuance()
        _ = try await fixture.store.redeemCode(hash: code.codeHash, at: fixture.now, issuance: issuance, replayAudit: fixture.replayAudit) { _, _ in nil }
        return (issuance, refresh, session)
    }

    private func rotate(_ fixture: StoreFixture, _ hash: String, at offset: Seconds, grace: Seconds = 0) async throws -> (RefreshRotation, next: String) {
        let (next, nextHash) = fixture.issuance()
        let outcome = try await fixture.store.rotateRefreshToken(
            hash: hash, at: fixture.now + offset, issuance: next, reuseAudit: fixture.reuseAudit, reuseGrace: grace) { _ in nil }
        return (outcome, nextHash)
    }

    @Test(arguments: Backend.all) func testReuseWithinTheGraceYieldsASiblingAndKeepsTheFamily(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let (issuance, first, _) = try await redeemedGrant(fixture)
        let (_, successor) = try await rotate(fixture, first, at: 10, grace: 5)
        let (repeated, sibling) = try await rotate(fixture, first, at: 13, grace: 5)
        guard case .rotated(let grant, _, _) = repeated else { Issue.record("\(repeated)"); return }
        #expect(grant.id == issuance.grantID)
        #expect(try await store.refreshToken(hash: sibling)?.parentHash == first)
        guard case .rotated = try await rotate(fixture, successor, at: 14, grace: 5).0 else { Issue.record("the first successor must still work"); return }
    }

    @Test(arguments: Backend.all) func testReuseAfterTheGraceRevokesTheFamily(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let (issuance, first, _) = try await redeemedGrant(fixture)
        _ = try await rotate(fixture, first, at: 10, grace: 5)
        #expect(try await rotate(fixture, first, at: 16, grace: 5).0 == .reused(revokedGrant: issuance.grantID))
    }

    @Test(arguments: Backend.all) func testRefreshIsRefusedOnceTheSessionIsIdleExpired(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let (_, first, session) = try await redeemedGrant(fixture)
        let outcome = try await rotate(fixture, first, at: session.idleExpiresAt - fixture.now)
        #expect(outcome.0 == .rejected(.invalidGrant("the session behind this refresh token has ended")))
    }

    @Test(arguments: Backend.all) func testAnOfflineAccessGrantOutlivesItsIdleSession(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let (_, first, session) = try await redeemedGrant(fixture, scope: "openid offline_access")
        guard case .rotated = try await rotate(fixture, first, at: Seconds((session.idleExpiresAt - fixture.now).rawValue + 60)).0 else {
            Issue.record("an offline_access grant must survive the session going idle"); return
        }
    }

    @Test(arguments: Backend.all) func testSignOutKeepsOfflineGrantsButEndsTheOthers(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let client = try await fixture.client()
        let session = try await fixture.session(for: user)
        var grants: [GrantID] = []
        for scope in ["openid offline_access", "openid"] {
            let code = try await fixture.code(client: client, session: session, scope: scope)
            let (issuance, _) = fixture.issuance()
            _ = try await store.redeemCode(hash: code.codeHash, at: fixture.now, issuance: issuance, replayAudit: fixture.replayAudit) { _, _ in nil }
            grants.append(issuance.grantID)
        }
        try await store.revokeSession(
            id: session.id, at: fixture.now, audit: AuditRecord(at: fixture.now, event: .signOut, outcome: .success),
            keepingOfflineGrants: true)
        #expect(try await store.grant(id: grants[0])?.revokedAt == nil)
        #expect(try await store.grant(id: grants[1])?.revokedAt != nil)
    }

    @Test(arguments: Backend.all) func testRevokingASessionRevokesItsGrants(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let client = try await fixture.client()
        let session = try await fixture.session(for: user)
        let code = try await fixture.code(client: client, session: session)
        let (issuance, _) = fixture.issuance()
        _ = try await store.redeemCode(hash: code.codeHash, at: fixture.now, issuance: issuance, replayAudit: fixture.replayAudit) { _, _ in nil }
        let revoked = try await store.revokeSession(
            id: session.id, at: fixture.now + 1, audit: AuditRecord(at: fixture.now, event: .sessionRevoked, outcome: .success))
        #expect(revoked)
        #expect(try await store.grant(id: issuance.grantID)?.revokedReason == "session_revoked")
        #expect(!(try await store.revokeSession(id: session.id, at: fixture.now + 2, audit: AuditRecord(at: fixture.now, event: .sessionRevoked, outcome: .success))))
    }

    @Test(arguments: Backend.all) func testPendingFlowCompletesOnlyOnce(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let client = try await fixture.client()
        let session = try await fixture.session(for: user)
        let request = AuthorizeRequest(
            clientID: client.record.id, redirectURI: "https://rp.example/cb", scopes: ["openid"], state: nil, nonce: nil,
            codeChallenge: nil, maxAge: 0, prompt: PromptSet(), idTokenHint: nil, loginHint: nil, acrValues: [], action: nil,
            receivedAt: fixture.now)
        let id = AuthorizationRequestID(rawValue: "req_1")
        try await store.saveAuthorizationRequest(
            AuthorizationRequestRecord(
                id: id, browserHash: "b", csrfHash: "c", clientId: client.record.id, request: request, sessionId: session.id,
                pinnedUserId: user.id, reason: .promptLogin, createdAt: fixture.now, expiresAt: fixture.now + 900),
            audit: nil)
        #expect(try await store.authorizationRequest(id: id)?.request == request)
        func code(_ hash: String) -> AuthorizationCodeRecord {
            AuthorizationCodeRecord(
                codeHash: hash, clientId: client.record.id, redirectUri: "https://rp.example/cb", sessionId: session.id,
                userId: user.id, scope: "openid", nonce: nil, codeChallenge: nil, minAuthTime: nil, createdAt: fixture.now,
                expiresAt: fixture.now + 60)
        }
        #expect(try await store.completeAuthorizationRequest(id: id, code: code("c1"), at: fixture.now))
        #expect(!(try await store.completeAuthorizationRequest(id: id, code: code("c2"), at: fixture.now)))
        #expect(try await store.redeemCode(hash: "c2", at: fixture.now, issuance: fixture.issuance().0, replayAudit: fixture.replayAudit) { _, _ in nil } == .unknown)
    }

    // MARK: Flows, hot paths, pushed requests and seen JWTs

    /// Issue 13: a sign-in's authorize writes its decision and its flow in one transaction, so a flow that cannot
    /// be stored leaves no decision behind that claims it started.
    @Test(arguments: Backend.all) func aFlowIsStoredWithItsDecisionOrNotAtAll(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let client = try await fixture.client()
        let request = AuthorizeRequest(
            clientID: client.record.id, redirectURI: "https://rp.example/cb", scopes: ["openid"], state: nil, nonce: nil,
            codeChallenge: nil, maxAge: nil, prompt: PromptSet(), idTokenHint: nil, loginHint: nil, acrValues: [], action: nil,
            receivedAt: fixture.now)
        let flow = AuthorizationRequestRecord(
            id: AuthorizationRequestID(rawValue: "req_pair"), browserHash: "b", csrfHash: "c", clientId: client.record.id,
            request: request, sessionId: nil, pinnedUserId: user.id, reason: .noSession, createdAt: fixture.now,
            expiresAt: fixture.now + 900)
        func decision(_ reason: String) -> AuditRecord {
            AuditRecord(at: fixture.now, event: .authorizeDecision, outcome: .info, userId: user.id, reason: reason)
        }

        try await store.saveAuthorizationRequest(flow, audit: decision("sign_in"))
        // The same id again: the flow's insert fails, and its decision must go with it.
        await #expect(throws: (any Error).self) { try await store.saveAuthorizationRequest(flow, audit: decision("again")) }

        #expect(try await store.authorizationRequest(id: flow.id) == flow)
        #expect(try await store.auditLog(user: user.id, limit: 10).map(\.reason) == ["sign_in"])
    }

    @Test(arguments: Backend.all) func pendingFlowIsBoundThenEndsOnce(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let session = try await fixture.session(for: user)
        let id = try await fixture.pendingRequest()
        try await store.bindAuthorizationRequest(id: id, session: session.id, user: user.id)
        let bound = try await store.authorizationRequest(id: id)
        #expect(bound?.sessionId == session.id)
        #expect(bound?.pinnedUserId == user.id)
        let cancel = AuditRecord(at: fixture.now, event: .accessDenied, outcome: .failure, userId: user.id)
        #expect(try await store.cancelAuthorizationRequest(id: id, at: fixture.now + 1, audit: cancel))
        #expect(!(try await store.cancelAuthorizationRequest(id: id, at: fixture.now + 2, audit: cancel)))
        #expect(!(try await store.finishAuthorizationRequest(id: id, at: fixture.now + 2)))
        #expect(try await store.authorizationRequest(id: id)?.completedAt == fixture.now + 1)
        #expect(try await store.auditLog(user: user.id, limit: 10).filter { $0.event == .accessDenied }.count == 1)
        await #expect(throws: StoreError.notFound("open authorization request \(id)")) {
            try await store.bindAuthorizationRequest(id: id, session: session.id, user: user.id)
        }
        let other = try await fixture.pendingRequest()
        #expect(try await store.finishAuthorizationRequest(id: other, at: fixture.now))
        #expect(!(try await store.finishAuthorizationRequest(id: other, at: fixture.now)))
    }

    @Test(arguments: Backend.all) func hotPathsReadTheChainAndStoreTheCodeWithItsAudit(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let client = try await fixture.client()
        let session = try await fixture.session(for: user)
        let found = try await store.sessionWithUser(secretHash: session.secretHash)
        #expect(found?.0 == session)
        #expect(found?.1 == user)
        #expect(try await store.sessionWithUser(secretHash: "unknown") == nil)

        let code = AuthorizationCodeRecord(
            codeHash: "hot", clientId: client.record.id, redirectUri: "https://rp.example/cb", sessionId: session.id,
            userId: user.id, scope: "openid", nonce: nil, codeChallenge: nil, minAuthTime: nil, createdAt: fixture.now,
            expiresAt: fixture.now + 60)
        try await store.insertCode(
            code, audit: AuditRecord(at: fixture.now, event: .authorizeDecision, outcome: .success, userId: user.id, sessionId: session.id))
        #expect(try await store.auditLog(user: user.id, limit: 10).contains { $0.event == .authorizeDecision })
        let (issuance, _) = fixture.issuance()
        let redemption = try await store.redeemCode(
            hash: "hot", at: fixture.now + 1, issuance: issuance, replayAudit: fixture.replayAudit) { _, _ in nil }
        guard case .redeemed(_, let grant, _) = redemption else { Issue.record("\(redemption)"); return }

        let chain = try await store.accessTokenChain(jti: issuance.accessToken.jti)
        #expect(chain == AccessTokenChain(token: issuance.accessToken, grant: grant, session: session, user: user))
        #expect(try await store.accessTokenChain(jti: "unknown") == nil)
        try await store.revokeAccessToken(jti: issuance.accessToken.jti, at: fixture.now + 2)
        try await store.revokeAccessToken(jti: issuance.accessToken.jti, at: fixture.now + 3)
        #expect(try await store.accessToken(jti: issuance.accessToken.jti)?.revokedAt == fixture.now + 2)
        try await store.revokeGrant(id: grant.id, at: fixture.now + 4, reason: "admin")
        #expect(try await store.grant(id: grant.id)?.revokedReason == "admin")
    }

    /// Issue 13: the silent authorize reads the session, its user and the risk history in one snapshot; an ended
    /// session or a disabled user gets no history (the caller signs in afresh anyway).
    @Test(arguments: Backend.all) func sessionWithUserReadsTheRiskHistoryOfALiveSession(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let session = try await fixture.session(for: user)
        try await store.rememberVerificationContext(user: user.id, deviceHash: "dev", networkPrefix: "10.0.0.0/24", at: fixture.now)
        let risk = RiskQuery(
            deviceHash: "dev", networkPrefix: "10.1.0.0/24", ipAddress: "10.1.0.1", at: fixture.now + 1,
            networkMemory: .days(30), velocityWindow: .hours(1), attemptSubject: { $0.email })
        let found = try await store.sessionWithUser(secretHash: session.secretHash, risk: risk)
        #expect(found?.0 == session)
        #expect(found?.1 == user)
        let expected = try await store.riskHistory(
            user: user.id, session: session.id, deviceHash: "dev", networkPrefix: "10.1.0.0/24", attemptSubject: user.email,
            ipAddress: "10.1.0.1", at: fixture.now + 1, networkMemory: .days(30), velocityWindow: .hours(1))
        #expect(found?.2 == expected)
        #expect(expected.deviceKnown && !expected.networkKnown)
        #expect(try await store.sessionWithUser(secretHash: "unknown", risk: risk) == nil)

        try await store.setDisabled(true, user: user.id, at: fixture.now + 1)
        let disabled = try await store.sessionWithUser(secretHash: session.secretHash, risk: risk)
        #expect(disabled != nil && disabled?.2 == nil)
    }

    /// RFC 9126 4: a `request_uri` works once, for its client, before it expires; a wrong client burns it.
    @Test(arguments: Backend.all) func pushedRequestIsSingleUse(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let client = try await fixture.client().record.id
        let other = try await fixture.client().record.id
        func pushed(_ hash: String) -> PushedRequestRecord {
            PushedRequestRecord(
                uriHash: hash, clientId: client, parameters: [("scope", "openid"), ("state", "s")], createdAt: fixture.now,
                expiresAt: fixture.now + 60)
        }
        try await store.savePushedRequest(pushed("p1"))
        let consumed = try await store.consumePushedRequest(uriHash: "p1", client: client, at: fixture.now + 1)
        #expect(consumed?.requestParameters["scope"] == "openid")
        #expect(consumed?.requestParameters["state"] == "s")
        #expect(consumed?.usedAt == fixture.now + 1)
        #expect(try await store.consumePushedRequest(uriHash: "p1", client: client, at: fixture.now + 2) == nil)
        try await store.savePushedRequest(pushed("p2"))
        #expect(try await store.consumePushedRequest(uriHash: "p2", client: other, at: fixture.now + 1) == nil)
        #expect(try await store.consumePushedRequest(uriHash: "p2", client: client, at: fixture.now + 2) == nil)
        try await store.savePushedRequest(pushed("p3"))
        #expect(try await store.consumePushedRequest(uriHash: "p3", client: client, at: fixture.now + 60) == nil)
        #expect(try await store.consumePushedRequest(uriHash: "unknown", client: client, at: fixture.now) == nil)
    }

    /// RFC 9101 10.8 and RFC 7523 3: a request object's or a client assertion's `jti` works once per client
    /// while it is unexpired.
    @Test(arguments: Backend.all) func jtisWorkOncePerClientUntilTheyExpire(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let client = try await fixture.client().record.id
        let other = try await fixture.client().record.id
        let now = fixture.now
        for record in [store.recordRequestObjectJTI, store.recordClientAssertionJTI] {
            #expect(try await record(client, "j1", now + 60, now))
            #expect(!(try await record(client, "j1", now + 60, now + 59)))
            #expect(try await record(other, "j1", now + 60, now))
            #expect(try await record(client, "j1", now + 120, now + 60))
        }
    }

    // MARK: Several instances at once (issue 14)

    /// Half the tasks on this store, half on other instances of the same database, as several `reverify serve`
    /// processes would be; the other instances are closed afterwards.
    private func instances(_ fixture: StoreFixture) async throws -> [any Store] {
        [fixture.store, try await fixture.reopen(), fixture.store, try await fixture.reopen()]
    }

    private func close(_ stores: [any Store]) {
        for store in stores.dropFirst() { (store as? PostgresStore)?.close() }
    }

    /// RFC 6749 4.1.2 / RFC 9700 4.5: of twenty simultaneous redemptions of one code, on two instances, exactly
    /// one issues a grant; every other one is a replay, and the replays revoke that grant.
    @Test(arguments: Backend.all) func parallelRedemptionOfOneCodeIssuesOneGrant(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let stores = try await instances(fixture)
        defer { close(stores) }
        let user = try await fixture.user()
        let client = try await fixture.client()
        let code = try await fixture.code(client: client, session: try await fixture.session(for: user))
        let outcomes = try await withThrowingTaskGroup(of: (CodeRedemption, TokenIssuance).self) { group in
            for i in 0..<20 {
                let store = stores[i % stores.count]
                let (issuance, _) = fixture.issuance()
                let replayAudit = fixture.replayAudit
                group.addTask {
                    let outcome = try await store.redeemCode(
                        hash: code.codeHash, at: fixture.now + 1, issuance: issuance, replayAudit: replayAudit) { _, _ in nil }
                    return (outcome, issuance)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let winners = outcomes.filter { if case .redeemed = $0.0 { true } else { false } }
        try #require(winners.count == 1, "\(outcomes.map(\.0))")
        let granted = winners[0].1
        #expect(outcomes.filter { $0.0 == .replayed(revokedGrant: granted.grantID) }.count == 19)
        #expect(try await fixture.store.grant(id: granted.grantID)?.revokedReason == "code_replay")
        #expect(try await fixture.store.accessToken(jti: granted.accessToken.jti)?.revokedAt != nil)
        #expect(try await fixture.count("SELECT COUNT(*) FROM grants") == 1)
        #expect(try await fixture.count("SELECT COUNT(*) FROM audit_log WHERE event = ?", [AuditEvent.codeReplay.rawValue]) == 19)
    }

    /// RFC 9700 4.14.2: twenty simultaneous rotations of one refresh token, on two instances, with no grace:
    /// one rotates, every other one is a reuse, and the family (the winner's successor too) is revoked.
    @Test(arguments: Backend.all) func parallelReuseOfOneRefreshTokenRevokesTheFamily(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let stores = try await instances(fixture)
        defer { close(stores) }
        let (issuance, first, _) = try await redeemedGrant(fixture)
        let outcomes = try await withThrowingTaskGroup(of: (RefreshRotation, String).self) { group in
            for i in 0..<20 {
                let store = stores[i % stores.count]
                let (next, nextHash) = fixture.issuance()
                let reuseAudit = fixture.reuseAudit
                group.addTask {
                    let outcome = try await store.rotateRefreshToken(
                        hash: first, at: fixture.now + 10, issuance: next, reuseAudit: reuseAudit, reuseGrace: 0) { _ in nil }
                    return (outcome, nextHash)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let winners = outcomes.filter { if case .rotated = $0.0 { true } else { false } }
        try #require(winners.count == 1, "\(outcomes.map(\.0))")
        #expect(outcomes.filter { $0.0 == .reused(revokedGrant: issuance.grantID) }.count == 19)
        #expect(try await fixture.store.grant(id: issuance.grantID)?.revokedReason == "refresh_reuse")
        #expect(try await fixture.count("SELECT COUNT(*) FROM refresh_tokens WHERE parent_hash = ?", [first]) == 1)
        let successor = try await rotate(fixture, winners[0].1, at: 11)
        #expect(successor.0 == .rejected(.invalidGrant("the grant was revoked")))
    }

    /// Ten simultaneous presentations of one client assertion and of one `request_uri`, on two instances:
    /// each is accepted once.
    @Test(arguments: Backend.all) func parallelPresentationsOfOneJTIAndOnePushedRequestSucceedOnce(_ backend: Backend)
        async throws
    {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let stores = try await instances(fixture)
        defer { close(stores) }
        let client = try await fixture.client().record.id
        try await fixture.store.savePushedRequest(
            PushedRequestRecord(
                uriHash: "p", clientId: client, parameters: [], createdAt: fixture.now, expiresAt: fixture.now + 60))
        let outcomes = try await withThrowingTaskGroup(of: (jti: Bool, pushed: Bool).self) { group in
            for i in 0..<10 {
                let store = stores[i % stores.count]
                group.addTask {
                    async let jti = store.recordClientAssertionJTI(
                        client: client, jti: "j", expiresAt: fixture.now + 60, at: fixture.now)
                    async let pushed = store.consumePushedRequest(uriHash: "p", client: client, at: fixture.now + 1)
                    return (try await jti, try await pushed != nil)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter(\.jti).count == 1)
        #expect(outcomes.filter(\.pushed).count == 1)
    }
}
