import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

/// Passkeys in the store (issue 18, migration 0021): a factor row plus its credential, single-use challenges, and
/// a counter that moves only forward from what was verified. On every backend (issue 14 item 4).
@Suite struct PasskeyStoreTests {
    private func passkey(for user: UserRecord, credentialID: String = "Y3JlZC0x", signCount: UInt32 = 0, at now: UnixTime)
        -> (FactorRecord, PasskeyCredentialRecord)
    {
        let factor = FactorRecord(
            id: FactorID(rawValue: IdentifierGenerator.make(prefix: FactorID.prefix)), userId: user.id, kind: .passkey,
            name: "Laptop", createdAt: now, confirmedAt: now)
        let credential = PasskeyCredentialRecord(
            factorId: factor.id, userId: user.id, credentialId: credentialID, publicKey: [0xA5, 0x01, 0x02], algorithm: .es256,
            state: PasskeyState(signCount: signCount, backupEligible: false, backedUp: false), transports: ["internal"],
            aaguid: [UInt8](repeating: 0, count: 16))
        return (factor, credential)
    }

    private func audit(_ user: UserRecord, _ factor: FactorRecord, at now: UnixTime) -> AuditRecord {
        AuditRecord(at: now, event: .factorAdded, outcome: .success, userId: user.id, method: .passkey, reason: "user", detail: factor.auditDetail)
    }

    private func challenge(_ hash: String, _ ceremony: PasskeyCeremonyKind = .authentication, expiresIn: Seconds = .minutes(5), at now: UnixTime)
        -> PasskeyChallengeRecord
    {
        PasskeyChallengeRecord(
            challengeHash: hash, ceremony: ceremony, userId: nil, sessionId: nil, requestId: nil, createdAt: now,
            expiresAt: now + expiresIn)
    }

    @Test(arguments: Backend.all) func testAddingAPasskeyStoresFactorCredentialAndEventTogether(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store, now = fixture.now
        let user = try await fixture.user()
        let (factor, credential) = passkey(for: user, at: now)
        #expect(try await store.addPasskey(factor: factor, credential: credential, audit: audit(user, factor, at: now)))
        let stored = try await store.passkeys(user: user.id)
        #expect(stored == [StoredPasskey(factor: factor, credential: credential)])
        #expect(stored.first?.credential.transportList == ["internal"])
        #expect(try await fixture.strings("SELECT type FROM outbox_events") == ["authentication.factor_added"])
    }

    @Test(arguments: Backend.all) func testACredentialIDIsRegisteredOnceAcrossUsers(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store, now = fixture.now
        let alice = try await fixture.user()
        let bob = try await fixture.user("bob@example.com")
        let (first, credential) = passkey(for: alice, at: now)
        _ = try await store.addPasskey(factor: first, credential: credential, audit: audit(alice, first, at: now))
        let (second, copy) = passkey(for: bob, at: now)
        #expect(try await store.addPasskey(factor: second, credential: copy, audit: audit(bob, second, at: now)) == false)
        #expect(try await store.factors(user: bob.id).isEmpty, "nothing of the refused passkey is left")
    }

    @Test(arguments: Backend.all) func testTheSameCredentialRegisteredInParallelIsAddedOnce(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let other = try await fixture.reopen()
        defer { (other as? PostgresStore)?.close() }
        let stores = [fixture.store, other], now = fixture.now
        var users: [UserRecord] = []
        for i in 0..<6 { users.append(try await fixture.user("user\(i)@example.com")) }
        let attempts = users.map { user in (user, passkey(for: user, credentialID: "c2FtZQ", at: now)) }
        let added = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (i, (user, (factor, credential))) in attempts.enumerated() {
                let store = stores[i % 2], audit = audit(user, factor, at: now)
                group.addTask { try await store.addPasskey(factor: factor, credential: credential, audit: audit) }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(added.filter { $0 }.count == 1)
        #expect(try await fixture.count("SELECT COUNT(*) FROM user_factors WHERE kind = 'passkey'") == 1)
        #expect(
            try await fixture.count("SELECT COUNT(*) FROM outbox_events WHERE type = 'authentication.factor_added'") == 1,
            "one factor_added event")
    }

    @Test(arguments: Backend.all) func testRemovingTheFactorRemovesTheCredential(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store, now = fixture.now
        let user = try await fixture.user()
        let (factor, credential) = passkey(for: user, at: now)
        _ = try await store.addPasskey(factor: factor, credential: credential, audit: audit(user, factor, at: now))
        _ = try await store.removeFactor(id: factor.id, user: user.id, audit: audit(user, factor, at: now))
        #expect(try await store.passkey(credentialID: credential.credentialId) == nil)
    }

    @Test(arguments: Backend.all) func testAChallengeWorksOnceForItsCeremonyUntilItExpires(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store, now = fixture.now
        try await store.savePasskeyChallenge(challenge("h1", at: now))
        #expect(try await store.consumePasskeyChallenge(hash: "h1", ceremony: .registration, at: now) == nil)
        let first = try await store.consumePasskeyChallenge(hash: "h1", ceremony: .authentication, at: now + 10)
        #expect(first?.usedAt == now + 10)
        #expect(try await store.consumePasskeyChallenge(hash: "h1", ceremony: .authentication, at: now + 11) == nil)
        try await store.savePasskeyChallenge(challenge("h2", at: now))
        #expect(try await store.consumePasskeyChallenge(hash: "h2", ceremony: .authentication, at: now + 300) == nil)
    }

    @Test(arguments: Backend.all) func testTheSameChallengeConsumedInParallelIsGrantedOnce(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        try await fixture.store.savePasskeyChallenge(challenge("h3", at: fixture.now))
        // On PostgreSQL half the requests go through a second store, as a second instance would send them.
        let other = try await fixture.reopen()
        defer { (other as? PostgresStore)?.close() }
        let stores = [fixture.store, other], now = fixture.now
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                let store = stores[i % 2]
                group.addTask { try await store.consumePasskeyChallenge(hash: "h3", ceremony: .authentication, at: now) != nil }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
    }

    @Test(arguments: Backend.all) func testAUseIsRecordedOnlyAgainstTheCounterItWasVerifiedWith(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store, now = fixture.now
        let user = try await fixture.user()
        let (factor, credential) = passkey(for: user, signCount: 4, at: now)
        _ = try await store.addPasskey(factor: factor, credential: credential, audit: audit(user, factor, at: now))
        let before = credential.state
        let next = PasskeyState(signCount: 5, backupEligible: false, backedUp: false)
        #expect(try await store.recordPasskeyUse(factor: factor.id, previous: before, next: next, at: now + 60) == .recorded)
        // A second assertion verified against the same old counter lost the race.
        let stale = try await store.recordPasskeyUse(
            factor: factor.id, previous: before, next: PasskeyState(signCount: 6, backupEligible: false, backedUp: false), at: now + 61)
        #expect(stale == .raced)
        let stored = try await store.passkey(credentialID: credential.credentialId)
        #expect(stored?.credential.signCount == 5)
        #expect(stored?.factor.lastUsedAt == now + 60)
    }

    @Test(arguments: Backend.all) func testClientFloorsAcceptPhr(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let client = try await fixture.client()
        try await fixture.execute("UPDATE clients SET min_acr = ? WHERE id = ?", [ACR.phishingResistant.rawValue, client.record.id.rawValue])
        #expect(try await store.client(id: client.record.id)?.record.minAcr == .phishingResistant)
        await #expect(throws: (any Error).self, "an unknown level must be refused by the schema") {
            try await fixture.execute("UPDATE clients SET min_acr = 'urn:reverify:acr:gold' WHERE id = ?", [client.record.id.rawValue])
        }
    }
}
