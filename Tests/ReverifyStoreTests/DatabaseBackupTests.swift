import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

@Suite struct DatabaseBackupTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reverify-backup-\(UUID().uuidString)")
    var database: String { directory.appendingPathComponent("live.sqlite").path }
    var copy: String { directory.appendingPathComponent("copy.sqlite").path }

    func users(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT email FROM users ORDER BY email") }
    }

    func addUser(_ store: SQLiteStore, _ email: String) async throws {
        try await store.createUser(UserRecord(
            id: UserID(rawValue: IdentifierGenerator.make(prefix: "usr")), email: email, name: nil, passwordHash: nil,
            createdAt: UnixTime(1), updatedAt: UnixTime(1)))
    }

    @Test func backupIsASelfContainedCopyOfTheRowsAtThatMoment() async throws {
        let store = try SQLiteStore(path: database)
        try await addUser(store, "a@example.com")
        try DatabaseBackup.backup(database: database, to: copy)
        try await addUser(store, "b@example.com")
        #expect(try users(copy) == ["a@example.com"])
        #expect(!FileManager.default.fileExists(atPath: copy + "-wal"))
        #expect(try FileManager.default.attributesOfItem(atPath: copy)[.posixPermissions] as? Int == 0o600)
    }

    @Test func backupNeverOverwritesAFile() throws {
        _ = try SQLiteStore(path: database)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: copy))
        #expect(throws: StoreError.self) { try DatabaseBackup.backup(database: database, to: copy) }
        #expect(FileManager.default.contents(atPath: copy) == Data("keep".utf8))
    }

    @Test func restoreReplacesTheRows() async throws {
        let store = try SQLiteStore(path: database)
        try await addUser(store, "a@example.com")
        try DatabaseBackup.backup(database: database, to: copy)
        try await addUser(store, "b@example.com")
        try DatabaseBackup.restore(database: database, from: copy)
        #expect(try users(database) == ["a@example.com"])
    }

    @Test func restoreIsRefusedWhileAServerHoldsTheDatabase() async throws {
        let store = try SQLiteStore(path: database)
        try await addUser(store, "a@example.com")
        try DatabaseBackup.backup(database: database, to: copy)
        try await addUser(store, "b@example.com")
        let serving = try DatabaseLock.shared(forDatabase: database)
        #expect(throws: StoreError.self) { try DatabaseBackup.restore(database: database, from: copy) }
        #expect(try users(database) == ["a@example.com", "b@example.com"])
        withExtendedLifetime(serving) {}
    }

    @Test func serverCannotStartDuringARestore() throws {
        let restoring = try DatabaseLock.exclusive(forDatabase: database)
        #expect(throws: StoreError.self) { try DatabaseLock.shared(forDatabase: database) }
        withExtendedLifetime(restoring) {}
    }

    @Test func restoreRefusesABackupMigratedByANewerBinary() async throws {
        _ = try SQLiteStore(path: database)
        try DatabaseBackup.backup(database: database, to: copy)
        try await DatabaseQueue(path: copy).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_future')")
        }
        #expect(throws: StoreError.schemaNewerThanBinary(applied: ["9999_future"])) {
            try DatabaseBackup.restore(database: database, from: copy)
        }
    }
}
