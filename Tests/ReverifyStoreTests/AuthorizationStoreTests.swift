import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing
import Foundation


@Suite final class AuthorizationStoreTests {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.sqliteStore }

    init() throws { fixture = try StoreFixture() }
    deinit { fixture.remove() }

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
