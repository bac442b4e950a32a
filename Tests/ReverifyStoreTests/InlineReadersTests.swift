import Foundation
import GRDB
import ReverifyCore
@testable import ReverifyStore
import Testing

/// The hot paths' reads on the calling thread (issue 13), on a real SQLite file next to the store's pool.
@Suite struct InlineReadersTests {
    @Test func aWriteIsVisibleToTheNextInlineRead() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let user = try await fixture.user()
        let session = try await fixture.session(for: user)
        #expect(try await fixture.store.sessionWithUser(secretHash: session.secretHash)?.0 == session)

        _ = try await fixture.store.revokeSession(
            id: session.id, at: fixture.now + 1,
            audit: AuditRecord(at: fixture.now + 1, event: .signOut, outcome: .success, sessionId: session.id))

        #expect(try await fixture.store.sessionWithUser(secretHash: session.secretHash)?.0.revokedAt == fixture.now + 1)
    }

    @Test func parallelReadsEachUseTheirOwnConnectionAndKeepThemForLater() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let user = try await fixture.user()
        let session = try await fixture.session(for: user)
        let readers = try #require(fixture.sqliteStore.inlineReaders)

        let found = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask { try await fixture.store.sessionWithUser(secretHash: session.secretHash)?.1 == user }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }

        #expect(found == 64)
        #expect((1...64).contains(readers.idleCount))
    }

    /// An inline read is one snapshot, however many statements it runs: a commit made while it reads stays out.
    @Test func anInlineReadIsOneSnapshot() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        _ = try await fixture.user()
        let readers = try #require(fixture.sqliteStore.inlineReaders)
        let other = try DatabaseQueue(path: fixture.path)

        let (before, during) = try readers.read { db in
            let before = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? -1
            try other.write { db in
                try db.execute(
                    sql: "INSERT INTO users (id, email, created_at, updated_at) VALUES ('usr_late', 'late@example.com', 0, 0)")
            }
            return (before, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? -1)
        }

        #expect(before == 1 && during == 1)
        #expect(try readers.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") } == 2)
    }

    /// An inline read runs read-only: a hot path can never write past the pool's single writer.
    @Test func anInlineReaderRefusesToWrite() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let readers = try #require(fixture.sqliteStore.inlineReaders)

        #expect(throws: DatabaseError.self) {
            try readers.read { db in try db.execute(sql: "DELETE FROM users") }
        }
    }

    /// The connections are opened read-only, not merely read in read-only transactions (see ``InlineReaders``).
    @Test func anInlineConnectionIsReadOnlyEvenOutsideAReadTransaction() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let connection = try #require(fixture.sqliteStore.inlineReaders).makeConnection()

        #expect(throws: DatabaseError.self) {
            try connection.inDatabase { db in try db.execute(sql: "DELETE FROM users") }
        }
    }
}

/// The joined lookups step their statement to its end: a statement left mid-way keeps its read snapshot, and a
/// kept connection would then hold back every checkpoint for as long as it sat idle (issue 13).
@Suite struct PositionalCursorTests {
    @Test func aJoinedLookupLeavesNoSnapshotBehind() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let user = try await fixture.user()
        let session = try await fixture.session(for: user)
        #expect(try await fixture.store.sessionWithUser(secretHash: session.secretHash)?.1 == user)
        _ = try await fixture.store.revokeSession(
            id: session.id, at: fixture.now + 1,
            audit: AuditRecord(at: fixture.now + 1, event: .signOut, outcome: .success, sessionId: session.id))

        let checkpoint = try fixture.sqliteStore.writer.writeWithoutTransaction { db in
            try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }

        #expect(checkpoint?[0] == 0 as Int, "a reader blocked the checkpoint: \(String(describing: checkpoint))")
    }
}
