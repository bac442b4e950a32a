import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

/// Agent approvals (OpenID CIBA poll mode, issue 12 item 4) on a real SQLite file.
@Suite final class ApprovalStoreTests: Sendable {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.sqliteStore }
    var now: UnixTime { fixture.now }

    init() throws { fixture = try StoreFixture() }
    deinit { fixture.remove() }

    /// A pending approval for a fresh client and user, with the `auth_req_id` hash it polls under.
    func pendingApproval() async throws -> (ApprovalRecord, SessionRecord) {
        let client = try await fixture.client()
        let user = try await fixture.user("\(UUID().uuidString)@example.com")
        let session = try await fixture.session(for: user)
        let approval = ApprovalRecord(
            id: ApprovalID(rawValue: IdentifierGenerator.make(prefix: "apr")), requestHash: OpaqueToken.generate().hash.hex,
            linkHash: OpaqueToken.generate().hash.hex, clientId: client.record.id, userId: user.id, action: "billing.pay",
            authorizationDetails: ["type": .string("reverify_action"), "action": .string("billing.pay")],
            bindingMessage: "K7-42", scope: "openid", requiredAcr: .singleFactor, maxAge: 300, createdAt: now,
            expiresAt: now + 600, pollInterval: 5)
        try await store.createApproval(approval, audit: AuditRecord(at: now, event: .approvalRequested, outcome: .success))
        return (approval, session)
    }

    func approve(_ approval: ApprovalRecord, session: SessionRecord) async throws {
        let verification = ApprovingVerification(session: session.id, authTime: now, acr: .singleFactor, amr: [.pwd])
        #expect(try await store.decideApproval(
            id: approval.id, decision: .approve, verification: verification, at: now + 1,
            audit: AuditRecord(at: now, event: .approvalGranted, outcome: .success)))
    }

    func issuance() -> ApprovalIssuance {
        ApprovalIssuance(
            grantID: GrantID(rawValue: IdentifierGenerator.make(prefix: "grt")), jti: IdentifierGenerator.make(prefix: "at"),
            expiresAt: now + 300, oneShot: false, audit: AuditRecord(at: now, event: .approvalRedeemed, outcome: .success))
    }

    func grants() async throws -> Int { try await store.writer.read { try GrantRecord.fetchCount($0) } }

    @Test func testParallelPollsOfAnApprovedRequestIssueTokensOnce() async throws {
        let (approval, session) = try await pendingApproval()
        try await approve(approval, session: session)
        let store = self.store
        let at = now + 2
        let issued = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                let issuance = self.issuance()
                group.addTask {
                    let poll = try await store.pollApproval(requestHash: approval.requestHash, client: approval.clientId, at: at, issuance: issuance)
                    if case .answered(.issue, _) = poll { return true }
                    return false
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(issued == 1)
        #expect(try await grants() == 1)
        #expect(try await store.approval(id: approval.id)?.status == .redeemed)
    }

    @Test func testAnotherClientsPollIsUnknownAndChangesNothing() async throws {
        let (approval, _) = try await pendingApproval()
        let other = try await fixture.client()
        let poll = try await store.pollApproval(requestHash: approval.requestHash, client: other.record.id, at: now, issuance: issuance())
        #expect(poll == .unknown)
        #expect(try await store.approval(id: approval.id) == approval)
    }

    @Test func testAPendingPollRecordsItsTimeAndATooEarlyOneRaisesTheInterval() async throws {
        let (approval, _) = try await pendingApproval()
        let first = try await store.pollApproval(requestHash: approval.requestHash, client: approval.clientId, at: now, issuance: issuance())
        guard case .answered(.pending, let afterFirst) = first else { Issue.record("\(first)"); return }
        #expect(afterFirst.lastPolledAt == now)
        let second = try await store.pollApproval(requestHash: approval.requestHash, client: approval.clientId, at: now + 2, issuance: issuance())
        guard case .answered(.slowDown(10), let afterSecond) = second else { Issue.record("\(second)"); return }
        #expect(try await store.approval(id: approval.id) == afterSecond)
        #expect(afterSecond.pollInterval == 10)
    }

    @Test func testRevokingARedeemedApprovalRevokesItsGrantAndTokens() async throws {
        let (approval, session) = try await pendingApproval()
        try await approve(approval, session: session)
        let issuance = issuance()
        _ = try await store.pollApproval(requestHash: approval.requestHash, client: approval.clientId, at: now + 2, issuance: issuance)
        let revoked = try await store.revokeApproval(
            id: approval.id, at: now + 3, audit: AuditRecord(at: now, event: .approvalRevoked, outcome: .success))
        #expect(revoked == .revoked(revokedGrant: issuance.grantID))
        #expect(try await store.grant(id: issuance.grantID)?.revokedAt == now + 3)
        #expect(try await store.accessToken(jti: issuance.jti)?.revokedAt == now + 3)
        let again = try await store.revokeApproval(
            id: approval.id, at: now + 4, audit: AuditRecord(at: now, event: .approvalRevoked, outcome: .success))
        #expect(again == .alreadyFinal(.revoked))
    }

    @Test func testADecisionIsTakenOnceAndNeverAfterExpiry() async throws {
        let (approval, session) = try await pendingApproval()
        let verification = ApprovingVerification(session: session.id, authTime: now, acr: .singleFactor, amr: [.pwd])
        let audit = AuditRecord(at: now, event: .approvalDenied, outcome: .success)
        #expect(try await store.decideApproval(id: approval.id, decision: .deny, verification: verification, at: now + 1, audit: audit))
        #expect(try await store.decideApproval(id: approval.id, decision: .approve, verification: verification, at: now + 2, audit: audit) == false)
        #expect(try await store.approval(id: approval.id)?.status == .denied)

        let (late, lateSession) = try await pendingApproval()
        let lateVerification = ApprovingVerification(session: lateSession.id, authTime: now, acr: .singleFactor, amr: [.pwd])
        #expect(try await store.decideApproval(id: late.id, decision: .approve, verification: lateVerification, at: now + 600, audit: audit) == false)
    }

    @Test func testPruneDeletesApprovalsOnlyOnceTheyExpired() async throws {
        let (approval, _) = try await pendingApproval()
        let cutoffs = { (at: UnixTime) in
            RetentionCutoffs(expiredBefore: at, countersBefore: UnixTime(0), deliveredBefore: UnixMilliseconds(0), auditBefore: UnixTime(0))
        }
        #expect(try await store.prune(cutoffs(approval.expiresAt)).agentApprovals == 0)
        #expect(try await store.approval(id: approval.id) != nil)
        #expect(try await store.prune(cutoffs(approval.expiresAt + 1)).agentApprovals == 1)
        #expect(try await store.approval(id: approval.id) == nil)
    }

    @Test func testApprovalsListNewestFirstEvenWithinOneSecond() async throws {
        var created: [ApprovalID] = []
        for _ in 0..<5 { created.append(try await pendingApproval().0.id) }
        #expect(try await store.approvals(user: nil, pendingAt: nil).map(\.id) == created.reversed())
        #expect(try await store.approvals(user: nil, pendingAt: now + 600).isEmpty)
    }
}
