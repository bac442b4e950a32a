import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

/// Second factors in the store (issue 18), on every backend (issue 14 item 4).
@Suite struct FactorStoreTests {
    func totp(for user: UserRecord, confirmed: Bool = true, in fixture: StoreFixture) async throws -> FactorRecord {
        let store = fixture.store
        let factor = FactorRecord(
            id: FactorID(rawValue: IdentifierGenerator.make(prefix: FactorID.prefix)), userId: user.id, kind: .totp,
            name: "Phone", createdAt: fixture.now, secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        try await store.addFactor(factor, audit: nil)
        if confirmed {
            let result = try await store.confirmTOTPFactor(
                id: factor.id, user: user.id, name: "Phone", step: 100, at: fixture.now,
                audit: audit(.factorAdded, user, factor, at: fixture.now))
            #expect(result == .accepted)
        }
        return try #require(try await store.factor(id: factor.id))
    }

    func audit(_ event: AuditEvent, _ user: UserRecord, _ factor: FactorRecord, at now: UnixTime) -> AuditRecord {
        AuditRecord(at: now, event: event, outcome: .success, userId: user.id, reason: "user", detail: factor.auditDetail)
    }

    @Test(arguments: Backend.all) func testConfirmingATOTPRecordsItsStepNameAndAddedEvent(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let user = try await fixture.user()
        let factor = try await totp(for: user, in: fixture)
        #expect(factor.confirmedAt == fixture.now)
        #expect(factor.lastUsedStep == 100)
        let types = try await fixture.strings("SELECT type FROM outbox_events")
        #expect(types.filter { $0 == "authentication.factor_added" }.count == 1)
    }

    @Test(arguments: Backend.all) func testEachStepIsAcceptedOnceAndOlderStepsNever(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store, now = fixture.now
        let user = try await fixture.user()
        let factor = try await totp(for: user, in: fixture)
        #expect(try await store.recordTOTPUse(factor: factor.id, user: user.id, step: 101, at: now) == .accepted)
        #expect(try await store.recordTOTPUse(factor: factor.id, user: user.id, step: 101, at: now) == .replayed)
        #expect(try await store.recordTOTPUse(factor: factor.id, user: user.id, step: 100, at: now) == .replayed)
        #expect(try await store.recordTOTPUse(factor: factor.id, user: user.id, step: 102, at: now + 30) == .accepted)
        let stored = try await store.factor(id: factor.id)
        #expect(stored?.lastUsedStep == 102)
        #expect(stored?.lastUsedAt == now + 30)
    }

    @Test(arguments: Backend.all) func testTheSameCodeSentInParallelIsAcceptedExactlyOnce(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let user = try await fixture.user()
        let factor = try await totp(for: user, in: fixture)
        // On PostgreSQL half the requests go through a second store, as a second instance would send them.
        let other = try await fixture.reopen()
        defer { (other as? PostgresStore)?.close() }
        let stores = [fixture.store, other], now = fixture.now
        let accepted = try await withThrowingTaskGroup(of: TOTPUse.self) { group in
            for i in 0..<40 {
                let store = stores[i % 2]
                group.addTask { try await store.recordTOTPUse(factor: factor.id, user: user.id, step: 205, at: now) }
            }
            return try await group.reduce(into: [TOTPUse]()) { $0.append($1) }
        }
        #expect(accepted.filter { $0 == .accepted }.count == 1)
        #expect(accepted.filter { $0 == .replayed }.count == 39)
    }

    @Test(arguments: Backend.all) func testAnUnconfirmedFactorVerifiesNobody(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let user = try await fixture.user()
        let factor = try await totp(for: user, confirmed: false, in: fixture)
        #expect(try await fixture.store.recordTOTPUse(factor: factor.id, user: user.id, step: 1, at: fixture.now) == .unknownFactor)
    }

    @Test(arguments: Backend.all) func testAnotherUsersFactorCannotBeUsedOrRemoved(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let alice = try await fixture.user()
        let bob = try await fixture.user("bob@example.com")
        let factor = try await totp(for: alice, in: fixture)
        #expect(try await store.recordTOTPUse(factor: factor.id, user: bob.id, step: 500, at: fixture.now) == .unknownFactor)
        let removed = try await store.removeFactor(
            id: factor.id, user: bob.id, audit: audit(.factorRemoved, bob, factor, at: fixture.now))
        #expect(removed == nil)
        #expect(try await store.factors(user: alice.id).count == 1)
    }

    @Test(arguments: Backend.all) func testStartingAnEnrolmentAgainReplacesTheUnconfirmedOne(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let user = try await fixture.user()
        let confirmed = try await totp(for: user, in: fixture)
        let abandoned = try await totp(for: user, confirmed: false, in: fixture)
        let restarted = try await totp(for: user, confirmed: false, in: fixture)
        let ids = try await fixture.store.factors(user: user.id).map(\.id)
        #expect(Set(ids) == [confirmed.id, restarted.id])
        #expect(!ids.contains(abandoned.id))
    }

    @Test(arguments: Backend.all) func testRemovingAConfirmedFactorPublishesFactorRemoved(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let user = try await fixture.user()
        let factor = try await totp(for: user, in: fixture)
        let removed = try await store.removeFactor(
            id: factor.id, user: user.id, audit: audit(.factorRemoved, user, factor, at: fixture.now))
        #expect(removed?.id == factor.id)
        #expect(try await store.factors(user: user.id).isEmpty)
        let payloads = try await fixture.strings(
            "SELECT payload FROM outbox_events WHERE type = 'authentication.factor_removed'")
        #expect(payloads.count == 1)
        #expect(payloads.first?.contains(factor.id.rawValue) == true, "\(payloads)")
    }

    @Test(arguments: Backend.all) func testTOTPSecretIsSealedAtRestWithAMasterKey(_ backend: Backend) async throws {
        let sealer = AESGCMSecretSealer(key: try MasterKey(bytes: [UInt8](repeating: 7, count: 32)))
        let fixture = try await StoreFixture.make(backend, sealer: sealer)
        defer { fixture.remove() }
        let sealedStore = fixture.store, now = fixture.now
        let user = UserRecord(
            id: UserID(rawValue: IdentifierGenerator.make(prefix: "usr")), email: "carol@example.com", name: nil,
            passwordHash: nil, createdAt: now, updatedAt: now)
        try await sealedStore.createUser(user)
        let factor = FactorRecord(
            id: FactorID(rawValue: IdentifierGenerator.make(prefix: FactorID.prefix)), userId: user.id, kind: .totp,
            name: "Phone", createdAt: now, secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        try await sealedStore.addFactor(factor, audit: nil)
        let raw = try await fixture.strings("SELECT secret FROM user_factors").first
        #expect(SealedValue.isSealed(raw ?? ""), "stored as \(raw ?? "nil")")
        #expect(try await sealedStore.factor(id: factor.id)?.secret == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        #expect(try await sealedStore.secretInventory().plaintext == 0)
    }

    @Test(arguments: Backend.all) func testTheInternalAccountClientIsNeitherListedNorFound(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        #expect(!(try await store.clients()).contains { $0.record.id == AccountSecurityRules.clientID })
        #expect(try await store.client(id: AccountSecurityRules.clientID) == nil)
        do {
            try await store.deleteClient(id: AccountSecurityRules.clientID)
            Issue.record("the internal client was deleted")
        } catch StoreError.notFound {}
    }

    @Test(arguments: Backend.all) func testATOTPAttemptCountsInTheAccountsFailureBudget(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store, now = fixture.now
        let policy = LockoutPolicy()
        for _ in 0..<policy.maximumFailures {
            let reservation = try await store.reserveAttempt(subject: "s", kind: .totp, ipAddress: nil, at: now, policy: policy)
            try await store.settleAttempt(try #require(reservation), outcome: .failed)
        }
        #expect(try await store.reserveAttempt(subject: "s", kind: .password, ipAddress: nil, at: now, policy: policy) == nil)
    }
}
