import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import XCTest

final class FactorStoreTests: XCTestCase {
    var fixture: StoreFixture!
    var store: SQLiteStore { fixture.sqliteStore }
    var now: UnixTime { fixture.now }

    override func setUp() async throws { fixture = try StoreFixture() }
    override func tearDown() async throws { fixture.remove() }

    func totp(for user: UserRecord, confirmed: Bool = true) async throws -> FactorRecord {
        let factor = FactorRecord(
            id: FactorID(rawValue: IdentifierGenerator.make(prefix: FactorID.prefix)), userId: user.id, kind: .totp,
            name: "Phone", createdAt: now, secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        try await store.addFactor(factor, audit: nil)
        if confirmed {
            let result = try await store.confirmTOTPFactor(
                id: factor.id, user: user.id, name: "Phone", step: 100, at: now, audit: audit(.factorAdded, user, factor))
            XCTAssertEqual(result, .accepted)
        }
        return try await store.factor(id: factor.id)!
    }

    func audit(_ event: AuditEvent, _ user: UserRecord, _ factor: FactorRecord) -> AuditRecord {
        AuditRecord(at: now, event: event, outcome: .success, userId: user.id, reason: "user", detail: factor.auditDetail)
    }

    func testConfirmingATOTPRecordsItsStepNameAndAddedEvent() async throws {
        let user = try await fixture.user()
        let factor = try await totp(for: user)
        XCTAssertEqual(factor.confirmedAt, now)
        XCTAssertEqual(factor.lastUsedStep, 100)
        let types = try await store.writer.read { db in try String.fetchAll(db, sql: "SELECT type FROM outbox_events") }
        XCTAssertEqual(types.filter { $0 == "authentication.factor_added" }.count, 1)
    }

    func testEachStepIsAcceptedOnceAndOlderStepsNever() async throws {
        let user = try await fixture.user()
        let factor = try await totp(for: user)
        let first = try await store.recordTOTPUse(factor: factor.id, user: user.id, step: 101, at: now)
        XCTAssertEqual(first, .accepted)
        let again = try await store.recordTOTPUse(factor: factor.id, user: user.id, step: 101, at: now)
        XCTAssertEqual(again, .replayed)
        let older = try await store.recordTOTPUse(factor: factor.id, user: user.id, step: 100, at: now)
        XCTAssertEqual(older, .replayed)
        let newer = try await store.recordTOTPUse(factor: factor.id, user: user.id, step: 102, at: now + 30)
        XCTAssertEqual(newer, .accepted)
        let stored = try await store.factor(id: factor.id)
        XCTAssertEqual(stored?.lastUsedStep, 102)
        XCTAssertEqual(stored?.lastUsedAt, now + 30)
    }

    func testTheSameCodeSentInParallelIsAcceptedExactlyOnce() async throws {
        let user = try await fixture.user()
        let factor = try await totp(for: user)
        let store = self.store, now = self.now
        let accepted = try await withThrowingTaskGroup(of: TOTPUse.self) { group in
            for _ in 0..<40 {
                group.addTask { try await store.recordTOTPUse(factor: factor.id, user: user.id, step: 205, at: now) }
            }
            return try await group.reduce(into: [TOTPUse]()) { $0.append($1) }
        }
        XCTAssertEqual(accepted.filter { $0 == .accepted }.count, 1)
        XCTAssertEqual(accepted.filter { $0 == .replayed }.count, 39)
    }

    func testAnUnconfirmedFactorVerifiesNobody() async throws {
        let user = try await fixture.user()
        let factor = try await totp(for: user, confirmed: false)
        let result = try await store.recordTOTPUse(factor: factor.id, user: user.id, step: 1, at: now)
        XCTAssertEqual(result, .unknownFactor)
    }

    func testAnotherUsersFactorCannotBeUsedOrRemoved() async throws {
        let alice = try await fixture.user()
        let bob = try await fixture.user("bob@example.com")
        let factor = try await totp(for: alice)
        let used = try await store.recordTOTPUse(factor: factor.id, user: bob.id, step: 500, at: now)
        XCTAssertEqual(used, .unknownFactor)
        let removed = try await store.removeFactor(id: factor.id, user: bob.id, audit: audit(.factorRemoved, bob, factor))
        XCTAssertNil(removed)
        let aliceFactors = try await store.factors(user: alice.id)
        XCTAssertEqual(aliceFactors.count, 1)
    }

    func testStartingAnEnrolmentAgainReplacesTheUnconfirmedOne() async throws {
        let user = try await fixture.user()
        let confirmed = try await totp(for: user)
        let abandoned = try await totp(for: user, confirmed: false)
        let restarted = try await totp(for: user, confirmed: false)
        let ids = try await store.factors(user: user.id).map(\.id)
        XCTAssertEqual(Set(ids), [confirmed.id, restarted.id])
        XCTAssertFalse(ids.contains(abandoned.id))
    }

    func testRemovingAConfirmedFactorPublishesFactorRemoved() async throws {
        let user = try await fixture.user()
        let factor = try await totp(for: user)
        let removed = try await store.removeFactor(id: factor.id, user: user.id, audit: audit(.factorRemoved, user, factor))
        XCTAssertEqual(removed?.id, factor.id)
        let remaining = try await store.factors(user: user.id)
        XCTAssertTrue(remaining.isEmpty)
        let payloads = try await store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT payload FROM outbox_events WHERE type = 'authentication.factor_removed'")
        }
        XCTAssertEqual(payloads.count, 1)
        XCTAssertTrue(payloads[0].contains(factor.id.rawValue), payloads[0])
    }

    func testTOTPSecretIsSealedAtRestWithAMasterKey() async throws {
        let sealer = AESGCMSecretSealer(key: try MasterKey(bytes: [UInt8](repeating: 7, count: 32)))
        let path = fixture.directory.appendingPathComponent("sealed.sqlite").path
        let sealedStore = try SQLiteStore(path: path, sealer: sealer)
        let user = UserRecord(
            id: UserID(rawValue: IdentifierGenerator.make(prefix: "usr")), email: "carol@example.com", name: nil,
            passwordHash: nil, createdAt: now, updatedAt: now)
        try await sealedStore.createUser(user)
        let factor = FactorRecord(
            id: FactorID(rawValue: IdentifierGenerator.make(prefix: FactorID.prefix)), userId: user.id, kind: .totp,
            name: "Phone", createdAt: now, secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        try await sealedStore.addFactor(factor, audit: nil)
        let raw = try await sealedStore.writer.read { db in try String.fetchOne(db, sql: "SELECT secret FROM user_factors") }
        XCTAssertTrue(SealedValue.isSealed(raw ?? ""), "stored as \(raw ?? "nil")")
        let readBack = try await sealedStore.factor(id: factor.id)
        XCTAssertEqual(readBack?.secret, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        let inventory = try await sealedStore.secretInventory()
        XCTAssertEqual(inventory.plaintext, 0)
    }

    func testTheInternalAccountClientIsNeitherListedNorFound() async throws {
        let clients = try await store.clients()
        XCTAssertFalse(clients.contains { $0.record.id == AccountSecurityRules.clientID })
        let found = try await store.client(id: AccountSecurityRules.clientID)
        XCTAssertNil(found)
        do {
            try await store.deleteClient(id: AccountSecurityRules.clientID)
            XCTFail("the internal client was deleted")
        } catch StoreError.notFound {}
    }

    func testATOTPAttemptCountsInTheAccountsFailureBudget() async throws {
        let policy = LockoutPolicy()
        for _ in 0..<policy.maximumFailures {
            let reservation = try await store.reserveAttempt(subject: "s", kind: .totp, ipAddress: nil, at: now, policy: policy)
            try await store.settleAttempt(XCTUnwrap(reservation), outcome: .failed)
        }
        let locked = try await store.reserveAttempt(subject: "s", kind: .password, ipAddress: nil, at: now, policy: policy)
        XCTAssertNil(locked)
    }
}
