import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import XCTest

/// Passkeys in the store (issue 18, migration 0021): a factor row plus its credential, single-use challenges, and
/// a counter that moves only forward from what was verified.
final class PasskeyStoreTests: XCTestCase {
    var fixture: StoreFixture!
    var store: SQLiteStore { fixture.sqliteStore }
    var now: UnixTime { fixture.now }

    override func setUp() async throws { fixture = try StoreFixture() }
    override func tearDown() async throws { fixture.remove() }

    private func passkey(for user: UserRecord, credentialID: String = "Y3JlZC0x", signCount: UInt32 = 0) -> (FactorRecord, PasskeyCredentialRecord) {
        let factor = FactorRecord(
            id: FactorID(rawValue: IdentifierGenerator.make(prefix: FactorID.prefix)), userId: user.id, kind: .passkey,
            name: "Laptop", createdAt: now, confirmedAt: now)
        let credential = PasskeyCredentialRecord(
            factorId: factor.id, userId: user.id, credentialId: credentialID, publicKey: [0xA5, 0x01, 0x02], algorithm: .es256,
            state: PasskeyState(signCount: signCount, backupEligible: false, backedUp: false), transports: ["internal"],
            aaguid: [UInt8](repeating: 0, count: 16))
        return (factor, credential)
    }

    private func audit(_ user: UserRecord, _ factor: FactorRecord) -> AuditRecord {
        AuditRecord(at: now, event: .factorAdded, outcome: .success, userId: user.id, method: .passkey, reason: "user", detail: factor.auditDetail)
    }

    private func challenge(_ hash: String, _ ceremony: PasskeyCeremonyKind = .authentication, expiresIn: Seconds = .minutes(5)) -> PasskeyChallengeRecord {
        PasskeyChallengeRecord(
            challengeHash: hash, ceremony: ceremony, userId: nil, sessionId: nil, requestId: nil, createdAt: now,
            expiresAt: now + expiresIn)
    }

    func testAddingAPasskeyStoresFactorCredentialAndEventTogether() async throws {
        let user = try await fixture.user()
        let (factor, credential) = passkey(for: user)
        let added = try await store.addPasskey(factor: factor, credential: credential, audit: audit(user, factor))
        XCTAssertTrue(added)
        let stored = try await store.passkeys(user: user.id)
        XCTAssertEqual(stored, [StoredPasskey(factor: factor, credential: credential)])
        XCTAssertEqual(stored.first?.credential.transportList, ["internal"])
        let types = try await store.writer.read { db in try String.fetchAll(db, sql: "SELECT type FROM outbox_events") }
        XCTAssertEqual(types, ["authentication.factor_added"])
    }

    func testACredentialIDIsRegisteredOnceAcrossUsers() async throws {
        let alice = try await fixture.user()
        let bob = try await fixture.user("bob@example.com")
        let (first, credential) = passkey(for: alice)
        _ = try await store.addPasskey(factor: first, credential: credential, audit: audit(alice, first))
        let (second, copy) = passkey(for: bob)
        let added = try await store.addPasskey(factor: second, credential: copy, audit: audit(bob, second))
        XCTAssertFalse(added)
        let bobs = try await store.factors(user: bob.id)
        XCTAssertTrue(bobs.isEmpty, "nothing of the refused passkey is left")
    }

    func testRemovingTheFactorRemovesTheCredential() async throws {
        let user = try await fixture.user()
        let (factor, credential) = passkey(for: user)
        _ = try await store.addPasskey(factor: factor, credential: credential, audit: audit(user, factor))
        _ = try await store.removeFactor(id: factor.id, user: user.id, audit: audit(user, factor))
        let found = try await store.passkey(credentialID: credential.credentialId)
        XCTAssertNil(found)
    }

    func testAChallengeWorksOnceForItsCeremonyUntilItExpires() async throws {
        try await store.savePasskeyChallenge(challenge("h1"))
        let wrongCeremony = try await store.consumePasskeyChallenge(hash: "h1", ceremony: .registration, at: now)
        XCTAssertNil(wrongCeremony)
        let first = try await store.consumePasskeyChallenge(hash: "h1", ceremony: .authentication, at: now + 10)
        XCTAssertEqual(first?.usedAt, now + 10)
        let again = try await store.consumePasskeyChallenge(hash: "h1", ceremony: .authentication, at: now + 11)
        XCTAssertNil(again)
        try await store.savePasskeyChallenge(challenge("h2"))
        let late = try await store.consumePasskeyChallenge(hash: "h2", ceremony: .authentication, at: now + 300)
        XCTAssertNil(late)
    }

    func testTheSameChallengeConsumedInParallelIsGrantedOnce() async throws {
        try await store.savePasskeyChallenge(challenge("h3"))
        let store = self.store
        let now = self.now
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { try await store.consumePasskeyChallenge(hash: "h3", ceremony: .authentication, at: now) != nil } }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        XCTAssertEqual(results.filter { $0 }.count, 1)
    }

    func testAUseIsRecordedOnlyAgainstTheCounterItWasVerifiedWith() async throws {
        let user = try await fixture.user()
        let (factor, credential) = passkey(for: user, signCount: 4)
        _ = try await store.addPasskey(factor: factor, credential: credential, audit: audit(user, factor))
        let before = credential.state
        let next = PasskeyState(signCount: 5, backupEligible: false, backedUp: false)
        let recorded = try await store.recordPasskeyUse(factor: factor.id, previous: before, next: next, at: now + 60)
        XCTAssertEqual(recorded, .recorded)
        // A second assertion verified against the same old counter lost the race.
        let stale = try await store.recordPasskeyUse(
            factor: factor.id, previous: before, next: PasskeyState(signCount: 6, backupEligible: false, backedUp: false), at: now + 61)
        XCTAssertEqual(stale, .raced)
        let stored = try await store.passkey(credentialID: credential.credentialId)
        XCTAssertEqual(stored?.credential.signCount, 5)
        XCTAssertEqual(stored?.factor.lastUsedAt, now + 60)
    }

    func testClientFloorsAcceptPhr() async throws {
        let client = try await fixture.client()
        try await store.writer.write { db in
            try db.execute(sql: "UPDATE clients SET min_acr = ? WHERE id = ?", arguments: [ACR.phishingResistant.rawValue, client.record.id.rawValue])
        }
        let reloaded = try await store.client(id: client.record.id)
        XCTAssertEqual(reloaded?.record.minAcr, .phishingResistant)
        do {
            try await store.writer.write { db in
                try db.execute(sql: "UPDATE clients SET min_acr = 'urn:reverify:acr:gold' WHERE id = ?", arguments: [client.record.id.rawValue])
            }
            XCTFail("an unknown level must be refused by the schema")
        } catch {}
    }
}
