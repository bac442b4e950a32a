import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

/// Agent approvals (OpenID CIBA poll mode, issue 12 item 4), on every backend.
@Suite struct ApprovalStoreTests {
    /// A fresh store and the approval helpers the tests share.
    struct Context: Sendable {
        let fixture: StoreFixture
        var store: any Store { fixture.store }
        var now: UnixTime { fixture.now }

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

        /// The hosted verification flow the approval page starts for `approval`.
        func verificationFlow(for approval: ApprovalRecord) -> AuthorizationRequestRecord {
            let request = AuthorizeRequest(
                clientID: approval.clientId, redirectURI: "https://rp.example/cb", scopes: ["openid"], state: nil, nonce: nil,
                codeChallenge: nil, maxAge: nil, prompt: PromptSet(), idTokenHint: nil, loginHint: nil, acrValues: [],
                action: nil, receivedAt: now)
            var flow = AuthorizationRequestRecord(
                id: AuthorizationRequestID(rawValue: IdentifierGenerator.make(prefix: "req")),
                browserHash: OpaqueToken.generate().hash.hex, csrfHash: "c", clientId: approval.clientId, request: request,
                sessionId: nil, pinnedUserId: approval.userId, reason: .action, createdAt: now, expiresAt: approval.expiresAt)
            flow.approvalId = approval.id
            return flow
        }

        func grants() async throws -> Int { try await fixture.count("SELECT COUNT(*) FROM grants") }
    }

    func context(_ backend: Backend) async throws -> Context {
        Context(fixture: try await StoreFixture.make(backend))
    }

    /// Half the polls go through a second store on the same database, as a second instance would send them.
    @Test(arguments: Backend.all) func testParallelPollsOfAnApprovedRequestIssueTokensOnce(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (approval, session) = try await context.pendingApproval()
        try await context.approve(approval, session: session)
        let stores = [context.store, try await context.fixture.reopen()]
        defer { (stores[1] as? PostgresStore)?.close() }
        let at = context.now + 2
        let issued = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<20 {
                let issuance = context.issuance()
                let store = stores[index % 2]
                group.addTask {
                    let poll = try await store.pollApproval(
                        requestHash: approval.requestHash, client: approval.clientId, at: at, issuance: issuance)
                    if case .answered(.issue, _) = poll { return true }
                    return false
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(issued == 1)
        #expect(try await context.grants() == 1)
        #expect(try await context.store.approval(id: approval.id)?.status == .redeemed)
    }

    @Test(arguments: Backend.all) func testAnotherClientsPollIsUnknownAndChangesNothing(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let store = context.store
        let (approval, _) = try await context.pendingApproval()
        let other = try await context.fixture.client()
        let poll = try await store.pollApproval(
            requestHash: approval.requestHash, client: other.record.id, at: context.now, issuance: context.issuance())
        #expect(poll == .unknown)
        #expect(try await store.approval(id: approval.id) == approval)
    }

    @Test(arguments: Backend.all) func testAPendingPollRecordsItsTimeAndATooEarlyOneRaisesTheInterval(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        let (approval, _) = try await context.pendingApproval()
        let first = try await store.pollApproval(
            requestHash: approval.requestHash, client: approval.clientId, at: now, issuance: context.issuance())
        guard case .answered(.pending, let afterFirst) = first else { Issue.record("\(first)"); return }
        #expect(afterFirst.lastPolledAt == now)
        let second = try await store.pollApproval(
            requestHash: approval.requestHash, client: approval.clientId, at: now + 2, issuance: context.issuance())
        guard case .answered(.slowDown(10), let afterSecond) = second else { Issue.record("\(second)"); return }
        #expect(try await store.approval(id: approval.id) == afterSecond)
        #expect(afterSecond.pollInterval == 10)
    }

    @Test(arguments: Backend.all) func testRevokingARedeemedApprovalRevokesItsGrantAndTokens(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        let (approval, session) = try await context.pendingApproval()
        try await context.approve(approval, session: session)
        let issuance = context.issuance()
        _ = try await store.pollApproval(
            requestHash: approval.requestHash, client: approval.clientId, at: now + 2, issuance: issuance)
        let revoked = try await store.revokeApproval(
            id: approval.id, at: now + 3, audit: AuditRecord(at: now, event: .approvalRevoked, outcome: .success))
        #expect(revoked == .revoked(revokedGrant: issuance.grantID))
        #expect(try await store.grant(id: issuance.grantID)?.revokedAt == now + 3)
        #expect(try await store.accessToken(jti: issuance.jti)?.revokedAt == now + 3)
        let again = try await store.revokeApproval(
            id: approval.id, at: now + 4, audit: AuditRecord(at: now, event: .approvalRevoked, outcome: .success))
        #expect(again == .alreadyFinal(.revoked))
    }

    @Test(arguments: Backend.all) func testADecisionIsTakenOnceAndNeverAfterExpiry(_ backend: Backend) async throws {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        let (approval, session) = try await context.pendingApproval()
        let verification = ApprovingVerification(session: session.id, authTime: now, acr: .singleFactor, amr: [.pwd])
        let audit = AuditRecord(at: now, event: .approvalDenied, outcome: .success)
        #expect(try await store.decideApproval(id: approval.id, decision: .deny, verification: verification, at: now + 1, audit: audit))
        #expect(try await store.decideApproval(id: approval.id, decision: .approve, verification: verification, at: now + 2, audit: audit) == false)
        #expect(try await store.approval(id: approval.id)?.status == .denied)

        let (late, lateSession) = try await context.pendingApproval()
        let lateVerification = ApprovingVerification(session: lateSession.id, authTime: now, acr: .singleFactor, amr: [.pwd])
        #expect(try await store.decideApproval(id: late.id, decision: .approve, verification: lateVerification, at: now + 600, audit: audit) == false)
    }

    /// Two instances deciding at once: exactly one decision is recorded, whichever it is.
    @Test(arguments: Backend.all) func testParallelDecisionsOnOneApprovalTakeOnlyOne(_ backend: Backend) async throws {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (approval, session) = try await context.pendingApproval()
        let stores = [context.store, try await context.fixture.reopen()]
        defer { (stores[1] as? PostgresStore)?.close() }
        let verification = ApprovingVerification(session: session.id, authTime: context.now, acr: .singleFactor, amr: [.pwd])
        let at = context.now + 1
        let taken = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<10 {
                let store = stores[index % 2]
                group.addTask {
                    try await store.decideApproval(
                        id: approval.id, decision: index.isMultiple(of: 2) ? .approve : .deny, verification: verification,
                        at: at, audit: AuditRecord(at: at, event: .approvalGranted, outcome: .success))
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(taken == 1)
        #expect(try await context.fixture.count("SELECT COUNT(*) FROM audit_log WHERE event = ?", ["agent.approval_granted"]) == 1)
    }

    /// The approval page's verification: started only while pending and for a known person, completed once.
    @Test(arguments: Backend.all) func testApprovalVerificationStartsWhilePendingAndCompletesOnce(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        let (approval, session) = try await context.pendingApproval()
        #expect(try await store.approval(linkHash: approval.linkHash) == approval)
        let flow = context.verificationFlow(for: approval)
        #expect(try await store.startApprovalVerification(id: approval.id, flow: flow, at: now + 1))
        let started = try #require(try await store.approval(id: approval.id))
        #expect(started.browserHash == flow.browserHash && started.verificationStartedAt == now + 1)
        #expect(try await store.authorizationRequest(id: flow.id)?.approvalId == approval.id)

        #expect(try await store.completeApprovalVerification(request: flow.id, approval: approval.id, session: session.id, at: now + 2))
        #expect(try await store.completeApprovalVerification(request: flow.id, approval: approval.id, session: session.id, at: now + 3) == false)
        #expect(try await store.approval(id: approval.id)?.verifiedSessionId == session.id)
        #expect(try await store.authorizationRequest(id: flow.id)?.completedAt == now + 2)

        // Once decided, or past its expiry, no new verification starts (and no flow is stored for it).
        try await context.approve(approval, session: session)
        let late = context.verificationFlow(for: approval)
        #expect(try await store.startApprovalVerification(id: approval.id, flow: late, at: now + 4) == false)
        #expect(try await store.authorizationRequest(id: late.id) == nil)
        let (expiring, _) = try await context.pendingApproval()
        #expect(try await store.startApprovalVerification(
            id: expiring.id, flow: context.verificationFlow(for: expiring), at: expiring.expiresAt) == false)
    }

    /// A one-shot token from token exchange (RFC 8693) is consumed once, however many instances race for it.
    @Test(arguments: Backend.all) func testParallelConsumptionOfAOneShotTokenSucceedsOnce(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        let (approval, session) = try await context.pendingApproval()
        try await context.approve(approval, session: session)
        let issuance = context.issuance()
        _ = try await store.pollApproval(requestHash: approval.requestHash, client: approval.clientId, at: now + 2, issuance: issuance)
        let exchanged = AccessTokenRecord(jti: "at_exchanged", grantId: issuance.grantID, expiresAt: now + 60, oneShot: true)
        try await store.recordTokenExchange(
            token: exchanged, audit: AuditRecord(at: now, event: .tokenExchanged, outcome: .success))
        #expect(try await store.accessToken(jti: exchanged.jti) == exchanged)
        #expect(try await context.fixture.count("SELECT COUNT(*) FROM audit_log WHERE event = ?", ["token.exchanged"]) == 1)
        // A token that is not one-shot is never consumed.
        #expect(try await store.consumeOneShotAccessToken(jti: issuance.jti, at: now + 3) == false)

        let stores = [store, try await context.fixture.reopen()]
        defer { (stores[1] as? PostgresStore)?.close() }
        let at = now + 3
        let consumed = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<20 {
                let store = stores[index % 2]
                group.addTask { try await store.consumeOneShotAccessToken(jti: exchanged.jti, at: at) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(consumed == 1)
        #expect(try await store.accessToken(jti: exchanged.jti)?.revokedAt == at)
        #expect(try await store.accessToken(jti: issuance.jti)?.revokedAt == nil)
    }

    @Test(arguments: Backend.all) func testPruneDeletesApprovalsOnlyOnceTheyExpired(_ backend: Backend) async throws {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let store = context.store
        let (approval, _) = try await context.pendingApproval()
        let cutoffs = { (at: UnixTime) in
            RetentionCutoffs(expiredBefore: at, countersBefore: UnixTime(0), deliveredBefore: UnixMilliseconds(0), auditBefore: UnixTime(0))
        }
        #expect(try await store.prune(cutoffs(approval.expiresAt)).agentApprovals == 0)
        #expect(try await store.approval(id: approval.id) != nil)
        #expect(try await store.prune(cutoffs(approval.expiresAt + 1)).agentApprovals == 1)
        #expect(try await store.approval(id: approval.id) == nil)
    }

    @Test(arguments: Backend.all) func testApprovalsListNewestFirstEvenWithinOneSecond(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let store = context.store
        var created: [ApprovalID] = []
        for _ in 0..<5 { created.append(try await context.pendingApproval().0.id) }
        #expect(try await store.approvals(user: nil, pendingAt: nil).map(\.id) == created.reversed())
        #expect(try await store.approvals(user: nil, pendingAt: context.now + 600).isEmpty)
    }
}
