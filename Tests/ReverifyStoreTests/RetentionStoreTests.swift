import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

/// Retention (issue 9 item 5), on every backend: what has expired or ended goes a day later, with what
/// hangs off it; nothing still usable goes.
@Suite struct RetentionStoreTests {
    let policy = RetentionPolicy()

    /// A fresh store and the helpers the tests share.
    struct Context: Sendable {
        let fixture: StoreFixture
        let policy: RetentionPolicy
        var store: any Store { fixture.store }
        var now: UnixTime { fixture.now }

        /// Prunes as if run at `time` (webhook rows, timed by the wall clock, are left alone).
        func prune(at time: UnixTime) async throws -> PruneReport {
            var cutoffs = policy.cutoffs(at: time)
            cutoffs.deliveredBefore = UnixMilliseconds(0)
            return try await store.prune(cutoffs)
        }

        func count(_ table: String) async throws -> Int { try await fixture.count("SELECT COUNT(*) FROM \(table)") }

        /// A signed-in session with a redeemed code: its grant holds an access token (10 min) and a refresh token.
        func redeemedGrant(refreshExpiresAt: UnixTime? = nil) async throws -> (SessionRecord, GrantID) {
            let user = try await fixture.user("\(UUID().uuidString.prefix(8))@example.com")
            let client = try await fixture.client()
            let session = try await fixture.session(for: user)
            let code = try await fixture.code(client: client, session: session)
            var (issuance, _) = fixture.issuance()
            if let refreshExpiresAt { issuance.refreshToken?.expiresAt = refreshExpiresAt }
            let result = try await store.redeemCode(
                hash: code.codeHash, at: now, issuance: issuance, replayAudit: fixture.replayAudit, validate: { _, _ in nil })
            guard case .redeemed(_, let grant, _) = result else { throw StoreError.invalid("not redeemed: \(result)") }
            return (session, grant.id)
        }
    }

    func context(_ backend: Backend) async throws -> Context {
        Context(fixture: try await StoreFixture.make(backend), policy: policy)
    }

    @Test(arguments: Backend.all) func expiredPushedRequestsAndRequestObjectJTIsGoButLiveOnesStay(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (fixture, store, now) = (context.fixture, context.store, context.now)
        let client = try await fixture.client()
        for (hash, expiry) in [("live", now + 60), ("old", now - 60)] {
            try await store.savePushedRequest(
                PushedRequestRecord(uriHash: hash, clientId: client.record.id, parameters: [("scope", "openid")], createdAt: now - 120, expiresAt: expiry))
        }
        #expect(try await store.recordRequestObjectJTI(client: client.record.id, jti: "j", expiresAt: now + 60, at: now))
        let report = try await context.prune(at: now + policy.afterExpiry)
        #expect(report.pushedRequests == 1)
        #expect(try await context.count("pushed_authorization_requests") == 1)
        #expect(try await context.count("request_object_jtis") == 1)
    }

    @Test(arguments: Backend.all) func anEnrolmentNeverConfirmedGoesWithItsSecretAfterADayAConfirmedFactorStays(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (fixture, store, now) = (context.fixture, context.store, context.now)
        let user = try await fixture.user()
        for (name, confirmed) in [("abandoned", false), ("phone", true)] {
            var factor = FactorRecord(
                id: FactorID(rawValue: IdentifierGenerator.make(prefix: FactorID.prefix)), userId: user.id,
                kind: confirmed ? .passkey : .totp, name: name, createdAt: now, secret: "JBSWY3DPEHPK3PXP")
            factor.confirmedAt = confirmed ? now : nil
            try await store.addFactor(factor, audit: nil)
        }
        #expect(try await context.prune(at: now + policy.afterExpiry - 1).unconfirmedFactors == 0)
        let report = try await context.prune(at: now + policy.afterExpiry + 1)
        #expect(report.unconfirmedFactors == 1)
        #expect(try await store.factors(user: user.id).map(\.name) == ["phone"])
    }

    @Test(arguments: Backend.all) func aPasskeyChallengeGoesADayAfterItWasUsedOrExpiredAnUnusedOneStaysUntilThen(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        for hash in ["used", "unused"] {
            try await store.savePasskeyChallenge(
                PasskeyChallengeRecord(
                    challengeHash: hash, ceremony: .authentication, userId: nil, sessionId: nil, requestId: nil,
                    createdAt: now, expiresAt: now + 300))
        }
        #expect(try await store.consumePasskeyChallenge(hash: "used", ceremony: .authentication, at: now + 10) != nil)

        let usedReport = try await context.prune(at: now + 11 + policy.afterExpiry)
        #expect(usedReport.passkeyChallenges == 1)
        #expect(try await context.count("passkey_challenges") == 1)

        #expect(try await context.prune(at: now + 300 + policy.afterExpiry).passkeyChallenges == 0)
        let expiredReport = try await context.prune(at: now + 301 + policy.afterExpiry)
        #expect(expiredReport.passkeyChallenges == 1)
        #expect(try await context.count("passkey_challenges") == 0)
    }

    @Test(arguments: Backend.all) func expiredFlowGoesADayLaterWithItsMagicLink(_ backend: Backend) async throws {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (fixture, store, now) = (context.fixture, context.store, context.now)
        let user = try await fixture.user()
        let request = try await fixture.pendingRequest()  // expires at now + 900
        try await store.createMagicLink(
            MagicLinkRecord(
                id: "mgl_1", requestId: request, userId: user.id, browserHash: "b", tokenHash: TokenHash(of: "t").hex,
                codeHash: "c", createdAt: now, expiresAt: now + 600, ipAddress: nil, userAgent: nil))

        let dayAfterExpiry = now + 900 + policy.afterExpiry
        #expect(try await context.prune(at: dayAfterExpiry).authorizationRequests == 0)
        #expect(try await store.authorizationRequest(id: request) != nil)

        let report = try await context.prune(at: dayAfterExpiry + 1)
        #expect(report.authorizationRequests == 1)
        #expect(try await store.authorizationRequest(id: request) == nil)
        #expect(try await context.count("magic_links") == 0)
    }

    @Test(arguments: Backend.all) func pruneKeepsTheFailuresADailyLockoutStillCounts(_ backend: Backend) async throws {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        var lockout = LockoutPolicy()
        lockout.maximumConsecutiveFailures = 3
        for _ in 0..<3 {
            let attempt = try #require(
                try await store.reserveAttempt(subject: "s", kind: .password, ipAddress: nil, at: now, policy: lockout))
            try await store.settleAttempt(attempt, outcome: .failed)
        }
        let nearlyADayLater = now + lockout.dailyWindow - 60

        _ = try await context.prune(at: nearlyADayLater)
        #expect(try await store.isLockedOut(subject: "s", at: nearlyADayLater, policy: lockout))
    }

    @Test(arguments: Backend.all) func countersNoCountCanIncludeGo(_ backend: Backend) async throws {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        let attempt = try #require(
            try await store.reserveAttempt(subject: "s", kind: .password, ipAddress: nil, at: now, policy: LockoutPolicy()))
        try await store.settleAttempt(attempt, outcome: .failed)
        _ = try await store.reserveEmailSend(
            subject: "s", ipAddress: "10.0.0.1", at: now, limits: OneTimeCodePolicy(), lockout: LockoutPolicy())

        #expect(try await context.prune(at: now + policy.attemptCounters).verificationAttempts == 0)
        let report = try await context.prune(at: now + policy.attemptCounters + 1)
        #expect(report.verificationAttempts == 1 && report.emailSendRequests == 1)
    }

    @Test func countersOutliveEveryLookBack() {
        #expect(policy.attemptCounters > LockoutPolicy().dailyWindow)
        #expect(policy.attemptCounters > OneTimeCodePolicy().rateWindow)
    }

    @Test(arguments: Backend.all) func liveGrantKeepsItsRefreshTokenAndCodeWhileItsExpiredAccessTokenGoes(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        let (session, grant) = try await context.redeemedGrant()  // access token expires now + 600, refresh now + 1 day

        let report = try await context.prune(at: now + 601 + policy.afterExpiry)
        #expect(report.accessTokens == 1)
        #expect(report.refreshTokens == 0 && report.grants == 0 && report.sessions == 0)
        #expect(try await store.grant(id: grant) != nil)
        #expect(try await context.count("refresh_tokens") == 1)
        #expect(try await context.count("authorization_codes") == 1)
        #expect(try await store.session(id: session.id) != nil)
    }

    @Test(arguments: Backend.all) func grantWithNoTokenLeftGoesWithItsCodeAndThenItsEndedSession(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        let (session, grant) = try await context.redeemedGrant()  // session and refresh token both end at now + 1 day

        let report = try await context.prune(at: now + .days(1) + 1 + policy.afterExpiry)
        #expect(report.refreshTokens == 1 && report.grants == 1 && report.sessions == 1)
        #expect(try await store.grant(id: grant) == nil)
        #expect(try await context.count("authorization_codes") == 0)
        #expect(try await store.session(id: session.id) == nil)
    }

    @Test(arguments: Backend.all) func endedSessionStaysWhileAGrantOnItCanStillBeUsed(_ backend: Backend) async throws {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        // A grant that outlives its session (offline access): deleting the session would cascade into it.
        let (session, grant) = try await context.redeemedGrant(refreshExpiresAt: now + .days(10))

        let report = try await context.prune(at: now + .days(3))
        #expect(report.sessions == 0 && report.grants == 0)
        #expect(try await store.session(id: session.id) != nil)
        #expect(try await store.grant(id: grant) != nil)
        #expect(try await context.count("refresh_tokens") == 1)
    }

    @Test(arguments: Backend.all) func revokedGrantGoesADayAfterRevocation(_ backend: Backend) async throws {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        let (_, grant) = try await context.redeemedGrant(refreshExpiresAt: now + .days(10))
        try await store.revokeGrant(id: grant, at: now + 10, reason: "test")

        #expect(try await context.prune(at: now + 10 + policy.afterExpiry).grants == 0)
        #expect(try await context.prune(at: now + 11 + policy.afterExpiry).grants == 1)
        #expect(try await context.count("refresh_tokens") == 0)
    }

    @Test(arguments: Backend.all) func auditRowsGoAfterTheAuditRetention(_ backend: Backend) async throws {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (store, now) = (context.store, context.now)
        try await store.appendAudit(AuditRecord(at: now, event: .authorizeDecision, outcome: .info))
        try await store.appendAudit(AuditRecord(at: now + .days(2), event: .authorizeDecision, outcome: .info))

        let report = try await context.prune(at: now + policy.audit + .days(1))
        #expect(report.auditRows == 1)
        #expect(try await context.count("audit_log") == 1)
    }

    @Test(arguments: Backend.all) func deliveredDeliveriesAndTheirEventsGoButPendingAndDeadOnesStay(_ backend: Backend)
        async throws
    {
        let context = try await context(backend)
        defer { context.fixture.remove() }
        let (fixture, store, now) = (context.fixture, context.store, context.now)
        let endpoint = WebhookEndpointRecord(
            id: WebhookEndpointID(rawValue: IdentifierGenerator.make(prefix: "whe")), url: "https://hooks.example/in",
            eventTypes: nil, allowPrivate: false, secret: WebhookSecret.generate().encoded, createdAt: now)
        try await store.createWebhookEndpoint(endpoint)
        var events: [WebhookEventID] = []
        for _ in 0..<3 {
            let id = WebhookEventID(rawValue: IdentifierGenerator.make(prefix: "evt"))
            try await store.enqueueWebhookEvent(
                WebhookEvent(id: id, type: .test, createdAt: now, data: WebhookEventData(endpointId: endpoint.id)),
                to: endpoint.id)
            events.append(id)
        }
        let old = UnixMilliseconds.wallClock().rawValue - 1000
        let (delivered, dead) = (events[0].rawValue, events[1].rawValue)
        try await fixture.execute(
            "UPDATE webhook_deliveries SET status = 'delivered', delivered_at_ms = ? WHERE event_id = ?", [old, delivered])
        try await fixture.execute("UPDATE webhook_deliveries SET status = 'dead' WHERE event_id = ?", [dead])

        var cutoffs = policy.cutoffs(at: now)
        cutoffs.deliveredBefore = .wallClock() + .seconds(1)
        let report = try await store.prune(cutoffs)
        #expect(report.webhookDeliveries == 1 && report.outboxEvents == 1)
        #expect(try await store.outboxEvent(id: events[0]) == nil)
        #expect(try await store.outboxEvent(id: events[1]) != nil)  // dead-lettered: can still be replayed
        #expect(try await store.outboxEvent(id: events[2]) != nil)  // pending
        #expect(try await context.count("webhook_deliveries") == 2)
    }

    @Test func retentionDaysOutOfRangeAreRefused() {
        #expect(throws: RetentionPolicyError.self) { try RetentionPolicy(auditDays: 0, webhookDays: 30) }
        #expect(throws: RetentionPolicyError.self) { try RetentionPolicy(auditDays: 400, webhookDays: 0) }
        #expect((try? RetentionPolicy(auditDays: 90, webhookDays: 7))?.audit == .days(90))
    }
}
