import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing
import Foundation

/// Users, clients, signing keys, sessions and attempts, on every backend (issue 14 item 4).
@Suite struct StoreTests {
    // MARK: Users

    @Test(arguments: Backend.all) func testDuplicateEmailIsRefusedIgnoringCase(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        _ = try await fixture.user("alice@example.com")
        do {
            _ = try await fixture.user("ALICE@example.com")
            Issue.record("expected a duplicate error")
        } catch {
            #expect(error as? StoreError == .duplicateEmail("ALICE@example.com"))
        }
        #expect(try await store.users().count == 1)
    }

    @Test(arguments: Backend.all) func testUserIsFoundByEmailIgnoringCase(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user("alice@example.com")
        #expect(try await store.user(email: "Alice@Example.com")?.id == user.id)
    }

    @Test(arguments: Backend.all) func testDisablingAUserRevokesTheirSessions(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let session = try await fixture.session(for: user)
        try await store.setDisabled(true, user: user.id, at: fixture.now)
        #expect(try await store.session(id: session.id)?.revokedAt != nil)
        #expect(try await store.user(id: user.id)!.isDisabled)
        #expect(try await store.auditLog(user: user.id, limit: 10).contains {
            $0.event == .sessionRevoked && $0.sessionId == session.id && $0.reason == "user_disabled"
        })
    }

    @Test(arguments: Backend.all) func testChangingAnUnknownUserIsNotFound(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        do {
            try await store.setPasswordHash("x", for: UserID(rawValue: "usr_nobody"), at: fixture.now)
            Issue.record("expected not found")
        } catch {
            #expect(error as? StoreError == .notFound("user usr_nobody"))
        }
    }

    /// Two instances signing up the same address at once (in any case): one account, and the other gets the
    /// same error as when they come one after the other.
    @Test(arguments: Backend.all) func testParallelSignUpsWithOneEmailCreateOneUser(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let results = await withTaskGroup(of: StoreError?.self) { group in
            for i in 0..<8 {
                group.addTask {
                    do {
                        _ = try await fixture.user(i.isMultiple(of: 2) ? "bob@example.com" : "BOB@example.com")
                        return nil
                    } catch {
                        return error as? StoreError ?? .invalid(String(reflecting: error))
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { $0 == nil }.count == 1)
        #expect(results.compactMap { $0 }.allSatisfy {
            $0 == .duplicateEmail("bob@example.com") || $0 == .duplicateEmail("BOB@example.com")
        })
        #expect(try await fixture.store.users().count == 1)
    }

    // MARK: Clients

    @Test(arguments: Backend.all) func testClientRoundTripsWithRedirectURIsInOrder(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let client = try await fixture.client()
        let loaded = try await store.client(id: client.record.id)
        #expect(loaded == client)
        #expect(loaded?.redirectURIs == ["https://rp.example/cb", "https://rp.example/cb2"])
    }

    @Test(arguments: Backend.all) func testDeletingAClientRemovesItsURIs(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let client = try await fixture.client()
        try await store.deleteClient(id: client.record.id)
        #expect(try await store.client(id: client.record.id) == nil)
        let orphans = try await fixture.count("SELECT COUNT(*) FROM client_redirect_uris")
        #expect(orphans == 0)
    }

    // MARK: Signing keys

    @Test(arguments: Backend.all) func testRotationRetiresButKeepsPublishingTheOldKey(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let first = SigningKeyRecord(kid: "k1", algorithm: "ES256", privateKeyPem: "pem1", createdAt: fixture.now)
        let second = SigningKeyRecord(kid: "k2", algorithm: "ES256", privateKeyPem: "pem2", createdAt: fixture.now + 10)
        try await store.addActiveSigningKey(first)
        try await store.addActiveSigningKey(second)
        let published = try await store.publishedSigningKeys()
        #expect(published.map(\.kid) == ["k2", "k1"])
        #expect(published.map(\.status) == [.active, .retired])
    }

    @Test(arguments: Backend.all) func testActiveKeyCannotBeRemovedButARetiredOneCan(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
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

    @Test(arguments: Backend.all) func testReauthenticationMovesAuthTimeAndWritesItsAuditRowTogether(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let session = try await fixture.session(for: user, authTime: fixture.now - 600)
        try await store.recordReauthentication(
            session: session.id, newSecretHash: "new-secret-hash", authTime: fixture.now, amr: [.pwd], acr: .singleFactor,
            verifications: VerificationHistory([.password: fixture.now]), levels: LevelHistory(),
            audit: AuditRecord(at: fixture.now, event: .reauthentication, outcome: .success, userId: user.id, sessionId: session.id))
        #expect(try await store.session(id: session.id)?.authTime == fixture.now)
        #expect(try await store.auditLog(user: user.id, limit: 10).first?.event == .reauthentication)
    }

    @Test(arguments: Backend.all) func testReauthenticationReplacesTheSessionSecretInTheSameTransaction(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let session = try await fixture.session(for: user, authTime: fixture.now - 600)
        try await store.recordReauthentication(
            session: session.id, newSecretHash: "new-secret-hash", authTime: fixture.now, amr: [.pwd], acr: .singleFactor,
            verifications: VerificationHistory([.password: fixture.now]), levels: LevelHistory(),
            audit: AuditRecord(at: fixture.now, event: .reauthentication, outcome: .success, userId: user.id, sessionId: session.id))
        #expect(try await store.session(secretHash: session.secretHash) == nil)
        #expect(try await store.session(secretHash: "new-secret-hash")?.id == session.id)
    }

    @Test(arguments: Backend.all) func testReauthenticationOfARevokedSessionChangesNothing(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
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

    // MARK: Shared Signals

    /// RFC 8417 2.2: an event delivered twice at once (two instances behind a load balancer) is acted on once.
    @Test(arguments: Backend.all) func testParallelSignalsWithOneJTICountOnce(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        try await store.addSignalTransmitter(
            SignalTransmitterRecord(issuer: "https://tx.example", jwks: nil, jwksUri: "https://tx.example/jwks", createdAt: fixture.now))
        let now = fixture.now
        let fresh = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<12 {
                group.addTask { try await store.recordSignal(issuer: "https://tx.example", jti: "jti-1", at: now) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(fresh == 1)
        #expect(try await store.recordSignal(issuer: "https://tx.example", jti: "jti-2", at: now))
    }

    // MARK: Attempts and lockout

    @Test(arguments: Backend.all) func testReservationsStopAtTheLimitCountingUnfinishedAttempts(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        var policy = LockoutPolicy()
        policy.maximumFailures = 3
        for _ in 0..<3 {
            #expect(try await store.reserveAttempt(subject: "s", kind: .password, ipAddress: nil, at: fixture.now, policy: policy) != nil)
        }
        #expect(try await store.reserveAttempt(subject: "s", kind: .emailCode, ipAddress: nil, at: fixture.now, policy: policy) == nil)
        #expect(try await store.isLockedOut(subject: "s", at: fixture.now, policy: policy))
        #expect(try await store.reserveAttempt(subject: "other", kind: .password, ipAddress: nil, at: fixture.now, policy: policy) != nil)
    }

    @Test(arguments: Backend.all) func aReservationIsAPendingAttemptOfItsSubjectKindAndAddress(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let reservation = try #require(
            try await fixture.store.reserveAttempt(
                subject: "s", kind: .emailCode, ipAddress: "198.51.100.4", at: fixture.now, policy: LockoutPolicy()))

        let stored = try await fixture.rows("SELECT * FROM verification_attempts WHERE id = ?", [reservation.id]).map {
            try FetchableRecordDecoder().decode(VerificationAttemptRecord.self, from: $0.row)
        }

        #expect(stored.map(\.subject) == ["s"])
        #expect(stored.map(\.kind) == [.emailCode])
        #expect(stored.map(\.ipAddress) == ["198.51.100.4"])
        #expect(stored.map(\.startedAt) == [fixture.now])
        #expect(stored.map(\.outcome) == [.pending])
    }

    @Test(arguments: Backend.all) func testParallelReservationsNeverExceedTheLimit(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        var limit = LockoutPolicy()
        limit.maximumFailures = 10
        let policy = limit
        let now = fixture.now
        let granted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<60 {
                group.addTask { try await store.reserveAttempt(subject: "s", kind: .password, ipAddress: nil, at: now, policy: policy) != nil }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == 10)
    }

    @Test(arguments: Backend.all) func testSucceededAndVoidAttemptsDoNotCountAndFailuresAgeOut(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
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
    private func attempt(_ fixture: StoreFixture, _ offset: Int64, _ outcome: AttemptOutcome, policy: LockoutPolicy) async throws {
        let store = fixture.store
        let reservation = try #require(try await store.reserveAttempt(
            subject: "s", kind: .emailCode, ipAddress: nil, at: fixture.now + Seconds(offset), policy: policy))
        try await store.settleAttempt(reservation, outcome: outcome)
    }

    @Test(arguments: Backend.all) func testConsecutiveFailuresOverTheDayLockTheAccount(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        var policy = LockoutPolicy()
        policy.maximumConsecutiveFailures = 3
        for hour: Int64 in [3, 2, 1] { try await attempt(fixture, -3600 * hour, .failed, policy: policy) }
        #expect(try await store.isLockedOut(subject: "s", at: fixture.now, policy: policy))
    }

    @Test(arguments: Backend.all) func testASuccessResetsTheConsecutiveFailures(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        var policy = LockoutPolicy()
        policy.maximumConsecutiveFailures = 4
        for hour: Int64 in [5, 4, 3] { try await attempt(fixture, -3600 * hour, .failed, policy: policy) }
        try await attempt(fixture, -7200, .succeeded, policy: policy)
        for minutes: Int64 in [100, 90, 80] { try await attempt(fixture, -60 * minutes, .failed, policy: policy) }
        #expect(try await store.isLockedOut(subject: "s", at: fixture.now, policy: policy) == false)
    }

    /// Issue 13: every count of attempts is answered from an index alone, its outcome included. With the outcome
    /// read from the table, a lockout check read every attempt of the account in its window (the last success:
    /// in two days), and every silent authorize every attempt from its address in fifteen minutes.
    @Test func sqliteCountsAttemptsFromTheirIndexesAlone() async throws {
        let fixture = try await StoreFixture.make(.sqlite)
        defer { fixture.remove() }
        let queries = [
            AttemptSQL.unsuccessfulSince, AttemptSQL.lastSuccess, AttemptSQL.failuresOfSubjectSince,
            AttemptSQL.failuresFromAddressSince,
        ]
        let plans = try await fixture.sqliteStore.writer.read { db in
            try queries.map { sql in
                let arguments: [(any DatabaseValueConvertible)?] = ["s", 1_795_000_000]
                return try String.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(arguments.prefix(sql.count { $0 == "?" })),
                    adapter: SuffixRowAdapter(fromIndex: 3))
            }
        }
        for plan in plans {
            #expect(plan.count == 1, "\(plan)")
            #expect(plan.allSatisfy { $0.contains("USING COVERING INDEX") && $0.contains("outcome=?") }, "\(plan)")
        }
    }

    @Test(arguments: Backend.all) func testEmailSendsAreLimitedPerAddressAndPerIP(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
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

    @Test(arguments: Backend.all) func testALockedAccountGetsNoEmail(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        var lockout = LockoutPolicy()
        lockout.maximumFailures = 1
        _ = try await store.reserveAttempt(subject: "a", kind: .password, ipAddress: nil, at: fixture.now, policy: lockout)
        #expect(try await store.reserveEmailSend(subject: "a", ipAddress: nil, at: fixture.now, limits: .init(), lockout: lockout) == .lockedOut)
    }

}
