import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing
import Foundation

@Suite final class SQLiteStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.sqliteStore }

    init() throws { fixture = try StoreFixture() }
    deinit { fixture.remove() }

    // MARK: Users

    @Test func testDuplicateEmailIsRefusedIgnoringCase() async throws {
        _ = try await fixture.user("alice@example.com")
        do {
            _ = try await fixture.user("ALICE@example.com")
            Issue.record("expected a duplicate error")
        } catch {
            #expect(error as? StoreError == .duplicateEmail("ALICE@example.com"))
        }
        #expect(try await store.users().count == 1)
    }

    @Test func testUserIsFoundByEmailIgnoringCase() async throws {
        let user = try await fixture.user("alice@example.com")
        #expect(try await store.user(email: "Alice@Example.com")?.id == user.id)
    }

    @Test func testDisablingAUserRevokesTheirSessions() async throws {
        let user = try await fixture.user()
        let session = try await fixture.session(for: user)
        try await store.setDisabled(true, user: user.id, at: fixture.now)
        #expect(try await store.session(id: session.id)?.revokedAt != nil)
        #expect(try await store.user(id: user.id)!.isDisabled)
        #expect(try await store.auditLog(user: user.id, limit: 10).contains {
            $0.event == .sessionRevoked && $0.sessionId == session.id && $0.reason == "user_disabled"
        })
    }

    @Test func testChangingAnUnknownUserIsNotFound() async {
        do {
            try await store.setPasswordHash("x", for: UserID(rawValue: "usr_nobody"), at: fixture.now)
            Issue.record("expected not found")
        } catch {
            #expect(error as? StoreError == .notFound("user usr_nobody"))
        }
    }

    // MARK: Clients

    @Test func testClientRoundTripsWithRedirectURIsInOrder() async throws {
        let client = try await fixture.client()
        let loaded = try await store.client(id: client.record.id)
        #expect(loaded == client)
        #expect(loaded?.redirectURIs == ["https://rp.example/cb", "https://rp.example/cb2"])
    }

    @Test func testDeletingAClientRemovesItsURIs() async throws {
        let client = try await fixture.client()
        try await store.deleteClient(id: client.record.id)
        #expect(try await store.client(id: client.record.id) == nil)
        let orphans = try await store.writer.read { db in try ClientRedirectURIRecord.fetchCount(db) }
        #expect(orphans == 0)
    }

    // MARK: Signing keys

    @Test func testRotationRetiresButKeepsPublishingTheOldKey() async throws {
        let first = SigningKeyRecord(kid: "k1", algorithm: "ES256", privateKeyPem: "pem1", createdAt: fixture.now)
        let second = SigningKeyRecord(kid: "k2", algorithm: "ES256", privateKeyPem: "pem2", createdAt: fixture.now + 10)
        try await store.addActiveSigningKey(first)
        try await store.addActiveSigningKey(second)
        let published = try await store.publishedSigningKeys()
        #expect(published.map(\.kid) == ["k2", "k1"])
        #expect(published.map(\.status) == [.active, .retired])
    }

    @Test func testActiveKeyCannotBeRemovedButARetiredOneCan() async throws {
        try await store.addActiveSigningKey(SigningKeyRecord(kid: "k1", algorithm: "ES256", privateKeyPem: "p", createdAt: fixture.now))
        do {
            try await store.removeSigningKey(kid: "k1", at: fixture.now)
            Issue.record("the active key must not be removable")
        } catch {}
        try await store.addActiveSigningKey(SigningKeyRecord(kid: "k2", algorithm: "ES256", privateKeyPem: "p", createdAt: fixture.now + 1))
        try await store.removeSigningKey(kid: "k1", at: fixture.now + 2)
        #expect(try await store.publishedSigningKeys().map(\.kid) == ["k2"])
    }

    // MARK: Sessions

    @Test func testReauthenticationMovesAuthTimeAndWritesItsAuditRowTogether() async throws {
        let user = try await fixture.user()
        let session = try await fixture.session(for: user, authTime: fixture.now - 600)
        try await store.recordReauthentication(
            session: session.id, newSecretHash: "new-secret-hash", authTime: fixture.now, amr: [.pwd], acr: .singleFactor,
            verifications: VerificationHistory([.password: fixture.now]), levels: LevelHistory(),
            audit: AuditRecord(at: fixture.now, event: .reauthentication, outcome: .success, userId: user.id, sessionId: session.id))
        #expect(try await store.session(id: session.id)?.authTime == fixture.now)
        #expect(try await store.auditLog(user: user.id, limit: 10).first?.event == .reauthentication)
    }

    @Test func testReauthenticationReplacesTheSessionSecretInTheSameTransaction() async throws {
        let user = try await fixture.user()
        let session = try await fixture.session(for: user, authTime: fixture.now - 600)
        try await store.recordReauthentication(
            session: session.id, newSecretHash: "new-secret-hash", authTime: fixture.now, amr: [.pwd], acr: .singleFactor,
            verifications: VerificationHistory([.password: fixture.now]), levels: LevelHistory(),
            audit: AuditRecord(at: fixture.now, event: .reauthentication, outcome: .success, userId: user.id, sessionId: session.id))
        #expect(try await store.session(secretHash: session.secretHash) == nil)
        #expect(try await store.session(secretHash: "new-secret-hash")?.id == session.id)
    }

    @Test func testReauthenticationOfARevokedSessionChangesNothing() async throws {
        let user = try await fixture.user()
        let session = try await fixture.session(for: user, authTime: fixture.now - 600)
        _ = try await store.revokeSession(id: session.id, at: fixture.now, audit: AuditRecord(at: fixture.now, event: .sessionRevoked, outcome: .success))
        let auditBefore = try await store.auditLog(user: nil, limit: 100).count
        do {
            try await store.recordReauthentication(
                session: session.id, newSecretHash: "new-secret-hash", authTime: fixture.now, amr: [.pwd], acr: .singleFactor,
                verifications: .init(), levels: LevelHistory(),
                audit: AuditRecord(at: fixture.now, event: .reauthentication, outcome: .success))
            Issue.record("expected not found")
        } catch {}
        #expect(try await store.session(id: session.id)?.authTime == fixture.now - 600)
        #expect(try await store.session(secretHash: session.secretHash)?.id == session.id)
        #expect(try await store.auditLog(user: nil, limit: 100).count == auditBefore)
    }

    // MARK: Attempts and lockout

    @Test func testReservationsStopAtTheLimitCountingUnfinishedAttempts() async throws {
        var policy = LockoutPolicy()
        policy.maximumFailures = 3
        for _ in 0..<3 {
            #expect(try await store.reserveAttempt(subject: "s", kind: .password, ipAddress: nil, at: fixture.now, policy: policy) != nil)
        }
        #expect(try await store.reserveAttempt(subject: "s", kind: .emailCode, ipAddress: nil, at: fixture.now, policy: policy) == nil)
        #expect(try await store.isLockedOut(subject: "s", at: fixture.now, policy: policy))
        #expect(try await store.reserveAttempt(subject: "other", kind: .password, ipAddress: nil, at: fixture.now, policy: policy) != nil)
    }

    @Test func testParallelReservationsNeverExceedTheLimit() async throws {
        var limit = LockoutPolicy()
        limit.maximumFailures = 10
        let policy = limit
        let store = self.store
        let now = fixture.now
        let granted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<60 {
                group.addTask { try await store.reserveAttempt(subject: "s", kind: .password, ipAddress: nil, at: now, policy: policy) != nil }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == 10)
    }

    @Test func testSucceededAndVoidAttemptsDoNotCountAndFailuresAgeOut() async throws {
        var policy = LockoutPolicy()
        policy.maximumFailures = 2
        let old = try #require(try await store.reserveAttempt(subject: "s", kind: .password, ipAddress: nil, at: fixture.now - 901, policy: policy))
        try await store.settleAttempt(old, outcome: .failed)
        let ok = try #require(try await store.reserveAttempt(subject: "s", kind: .password, ipAddress: nil, at: fixture.now, policy: policy))
        try await store.settleAttempt(ok, outcome: .succeeded)
        let void = try #require(try await store.reserveAttempt(subject: "s", kind: .emailCode, ipAddress: nil, at: fixture.now, policy: policy))
        try await store.settleAttempt(void, outcome: .void)
        let wrong = try #require(try await store.reserveAttempt(subject: "s", kind: .password, ipAddress: nil, at: fixture.now, policy: policy))
        try await store.settleAttempt(wrong, outcome: .failed)
        #expect(try await store.isLockedOut(subject: "s", at: fixture.now, policy: policy) == false)
    }

    /// Records an attempt at `offset` seconds from now with its outcome.
    private func attempt(_ offset: Int64, _ outcome: AttemptOutcome, policy: LockoutPolicy) async throws {
        let reservation = try #require(try await store.reserveAttempt(
            subject: "s", kind: .emailCode, ipAddress: nil, at: fixture.now + Seconds(offset), policy: policy))
        try await store.settleAttempt(reservation, outcome: outcome)
    }

    @Test func testConsecutiveFailuresOverTheDayLockTheAccount() async throws {
        var policy = LockoutPolicy()
        policy.maximumConsecutiveFailures = 3
        for hour: Int64 in [3, 2, 1] { try await attempt(-3600 * hour, .failed, policy: policy) }
        #expect(try await store.isLockedOut(subject: "s", at: fixture.now, policy: policy))
    }

    @Test func testASuccessResetsTheConsecutiveFailures() async throws {
        var policy = LockoutPolicy()
        policy.maximumConsecutiveFailures = 4
        for hour: Int64 in [5, 4, 3] { try await attempt(-3600 * hour, .failed, policy: policy) }
        try await attempt(-7200, .succeeded, policy: policy)
        for minutes: Int64 in [100, 90, 80] { try await attempt(-60 * minutes, .failed, policy: policy) }
        #expect(try await store.isLockedOut(subject: "s", at: fixture.now, policy: policy) == false)
    }

    @Test func testEmailSendsAreLimitedPerAddressAndPerIP() async throws {
        var limits = OneTimeCodePolicy()
        limits.maximumSendsPerUser = 2
        limits.maximumSendsPerIP = 3
        let lockout = LockoutPolicy()
        #expect(try await store.reserveEmailSend(subject: "a", ipAddress: "10.0.0.1", at: fixture.now, limits: limits, lockout: lockout) == .allowed)
        #expect(try await store.reserveEmailSend(subject: "a", ipAddress: "10.0.0.1", at: fixture.now, limits: limits, lockout: lockout) == .allowed)
        guard case .limited = try await store.reserveEmailSend(subject: "a", ipAddress: "10.0.0.2", at: fixture.now, limits: limits, lockout: lockout)
        else { Issue.record("the per-address limit must refuse a third send"); return }
        #expect(try await store.reserveEmailSend(subject: "b", ipAddress: "10.0.0.1", at: fixture.now, limits: limits, lockout: lockout) == .allowed)
        guard case .limited = try await store.reserveEmailSend(subject: "c", ipAddress: "10.0.0.1", at: fixture.now, limits: limits, lockout: lockout)
        else { Issue.record("the per-IP limit must refuse a fourth send from one address"); return }
    }

    @Test func testALockedAccountGetsNoEmail() async throws {
        var lockout = LockoutPolicy()
        lockout.maximumFailures = 1
        _ = try await store.reserveAttempt(subject: "a", kind: .password, ipAddress: nil, at: fixture.now, policy: lockout)
        #expect(try await store.reserveEmailSend(subject: "a", ipAddress: nil, at: fixture.now, limits: .init(), lockout: lockout) == .lockedOut)
    }

    // MARK: Codes and grants

    @Test func testCodeRedeemsOnceAndCreatesTheGrant() async throws {
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

    @Test func testReplayedCodeRevokesTheGrantAndItsAccessTokens() async throws {
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

    @Test func testRejectedCodeIsBurnedAndIssuesNothing() async throws {
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

    @Test func testExpiredCodeIsRefused() async throws {
        let user = try await fixture.user()
        let client = try await fixture.client()
        let code = try await fixture.code(client: client, session: try await fixture.session(for: user))
        let result = try await store.redeemCode(hash: code.codeHash, at: fixture.now + 60, issuance: fixture.issuance().0, replayAudit: fixture.replayAudit) { _, _ in nil }
        #expect(result == .expired)
    }

    @Test func testRefreshRotationThenReuseRevokesTheFamily() async throws {
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
    private func redeemedGrant(scope: String = "openid") async throws -> (TokenIssuance, refresh: String, session: SessionRecord) {
        let user = try await fixture.user()
        let client = try await fixture.client()
        let session = try await fixture.session(for: user)
        let code = try await fixture.code(client: client, session: session, scope: scope)
        let (issuance, refresh) = fixture.issuance()
        _ = try await store.redeemCode(hash: code.codeHash, at: fixture.now, issuance: issuance, replayAudit: fixture.replayAudit) { _, _ in nil }
        return (issuance, refresh, session)
    }

    private func rotate(_ hash: String, at offset: Seconds, grace: Seconds = 0) async throws -> (RefreshRotation, next: String) {
        let (next, nextHash) = fixture.issuance()
        let outcome = try await store.rotateRefreshToken(
            hash: hash, at: fixture.now + offset, issuance: next, reuseAudit: fixture.reuseAudit, reuseGrace: grace) { _ in nil }
        return (outcome, nextHash)
    }

    @Test func testReuseWithinTheGraceYieldsASiblingAndKeepsTheFamily() async throws {
        let (issuance, first, _) = try await redeemedGrant()
        let (_, successor) = try await rotate(first, at: 10, grace: 5)
        let (repeated, sibling) = try await rotate(first, at: 13, grace: 5)
        guard case .rotated(let grant, _, _) = repeated else { Issue.record("\(repeated)"); return }
        #expect(grant.id == issuance.grantID)
        #expect(try await store.refreshToken(hash: sibling)?.parentHash == first)
        guard case .rotated = try await rotate(successor, at: 14, grace: 5).0 else { Issue.record("the first successor must still work"); return }
    }

    @Test func testReuseAfterTheGraceRevokesTheFamily() async throws {
        let (issuance, first, _) = try await redeemedGrant()
        _ = try await rotate(first, at: 10, grace: 5)
        #expect(try await rotate(first, at: 16, grace: 5).0 == .reused(revokedGrant: issuance.grantID))
    }

    @Test func testRefreshIsRefusedOnceTheSessionIsIdleExpired() async throws {
        let (_, first, session) = try await redeemedGrant()
        let outcome = try await rotate(first, at: session.idleExpiresAt - fixture.now)
        #expect(outcome.0 == .rejected(.invalidGrant("the session behind this refresh token has ended")))
    }

    @Test func testAnOfflineAccessGrantOutlivesItsIdleSession() async throws {
        let (_, first, session) = try await redeemedGrant(scope: "openid offline_access")
        guard case .rotated = try await rotate(first, at: Seconds((session.idleExpiresAt - fixture.now).rawValue + 60)).0 else {
            Issue.record("an offline_access grant must survive the session going idle"); return
        }
    }

    @Test func testSignOutKeepsOfflineGrantsButEndsTheOthers() async throws {
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

    @Test func testRevokingASessionRevokesItsGrants() async throws {
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

    @Test func testPendingFlowCompletesOnlyOnce() async throws {
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
                pinnedUserId: user.id, reason: .promptLogin, createdAt: fixture.now, expiresAt: fixture.now + 900))
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
}

@Suite final class MagicLinkStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.sqliteStore }
    let policy = OneTimeCodePolicy()

    init() throws { fixture = try StoreFixture() }
    deinit { fixture.remove() }

    private func link(_ id: String, request: AuthorizationRequestID, user: UserRecord, code: String, at: UnixTime? = nil)
        -> MagicLinkRecord
    {
        let t = at ?? fixture.now
        return MagicLinkRecord(
            id: id, requestId: request, userId: user.id, browserHash: "b", tokenHash: TokenHash(of: "token-\(id)").hex,
            codeHash: TokenHash(of: "\(id):\(code)").hex, createdAt: t, expiresAt: t + 600, ipAddress: "10.0.0.1",
            userAgent: "ua")
    }

    private func check(_ request: AuthorizationRequestID, _ code: String, at: UnixTime? = nil) async throws -> CodeCheck {
        try await store.checkCode(
            request: request, codeHash: { TokenHash(of: "\($0):\(code)").hex }, policy: policy, at: at ?? fixture.now + 1)
    }

    @Test func rightCodeIsAcceptedOnce() async throws {
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await store.createMagicLink(link("mgl_1", request: request, user: user, code: "123456"))
        guard case .accepted(let link) = try await check(request, "123456") else { Issue.record("not accepted"); return }
        #expect(link.consumedAt != nil)
        #expect(try await check(request, "123456") == .unusable(.used))
        #expect(try await store.consumeMagicLink(tokenHash: TokenHash(of: "token-mgl_1").hex, policy: policy, at: fixture.now + 2) == nil)
    }

    @Test func fiveWrongCodesBurnTheCodeForGood() async throws {
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await store.createMagicLink(link("mgl_1", request: request, user: user, code: "123456"))
        for remaining in (0..<5).reversed() {
            #expect(try await check(request, "000000") == .wrong(remainingAttempts: remaining))
        }
        #expect(try await check(request, "123456") == .unusable(.burned))
    }

    @Test func expiredCodeIsRefused() async throws {
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await store.createMagicLink(link("mgl_1", request: request, user: user, code: "123456"))
        #expect(try await check(request, "123456", at: fixture.now + 600) == .unusable(.expired))
    }

    @Test func askingAgainSupersedesTheEarlierMessage() async throws {
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()
        try await store.createMagicLink(link("mgl_1", request: request, user: user, code: "111111"))
        try await store.createMagicLink(link("mgl_2", request: request, user: user, code: "222222", at: fixture.now + 1))
        #expect(try await store.consumeMagicLink(tokenHash: TokenHash(of: "token-mgl_1").hex, policy: policy, at: fixture.now + 2) == nil)
        #expect(try await check(request, "111111", at: fixture.now + 2) == .wrong(remainingAttempts: 4))
        guard case .accepted = try await check(request, "222222", at: fixture.now + 3) else { Issue.record("not accepted"); return }
    }
}
