import Foundation
import GRDB
@testable import ReverifyStore
import Testing

/// The SQLite migration runner and connection settings (SQLite only by nature: PostgreSQL's runner has
/// its own suite, PostgresMigrationTests).
@Suite struct MigrationRunnerTests {
    private func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("reverify-\(UUID().uuidString)/db.sqlite").path
    }

    @Test func testBundledMigrationsAreNumberedAndOrdered() {
        let ids = MigrationRunner.bundled.migrations.map(\.identifier)
        #expect(ids.first == "0001_foundation")
        #expect(ids == ids.sorted())
    }

    @Test func onlyNumberedLowerCaseSQLFilesAreMigrations() {
        for name in ["0001_foundation.sql", "0024_attempt_outcome_indexes.sql", "9999_a.sql", "0002_x_9.sql"] {
            #expect(MigrationRunner.isMigrationFileName(name), "\(name)")
        }
        for name in [
            "0001_.sql", "001_short.sql", "00001_long.sql", "0001-dash.sql", "0001_Upper.sql", "0001_space .sql",
            "0001_name.SQL", "0001_name.sql.bak", "README.md", "abcd_name.sql", "0001_näme.sql", ".sql", "",
        ] {
            #expect(!MigrationRunner.isMigrationFileName(name), "\(name)")
        }
    }

    @Test func testMigrateAppliesEveryFileAndRecordsIt() throws {
        let pool = try DatabaseConnection.open(path: temporaryPath())
        let applied = try MigrationRunner.bundled.migrate(pool)
        #expect(applied == MigrationRunner.bundled.migrations.map(\.identifier))
        let recorded = try pool.read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
        #expect(recorded == applied)
        #expect(try pool.read { db in try db.tableExists("sessions") && db.tableExists("audit_log") })
    }

    @Test func testMigrateIsIdempotent() throws {
        let pool = try DatabaseConnection.open(path: temporaryPath())
        try MigrationRunner.bundled.migrate(pool)
        #expect(try MigrationRunner.bundled.migrate(pool) == [])
        #expect(try MigrationRunner.bundled.pending(pool) == [])
    }

    @Test func testNewMigrationIsAppliedOnTopOfOlderSchema() throws {
        let pool = try DatabaseConnection.open(path: temporaryPath())
        let first = MigrationRunner(migrations: Array(MigrationRunner.bundled.migrations.prefix(1)))
        try first.migrate(pool)
        let later = Array(MigrationRunner.bundled.migrations.dropFirst().map(\.identifier))
        #expect(!later.isEmpty)
        #expect(try MigrationRunner.bundled.pending(pool) == later)
        #expect(try MigrationRunner.bundled.migrate(pool) == later)
    }

    @Test func testDatabaseFromANewerBinaryIsRefused() throws {
        let pool = try DatabaseConnection.open(path: temporaryPath())
        try MigrationRunner.bundled.migrate(pool)
        try pool.write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('9999_future')") }
        #expect(throws: StoreError.schemaNewerThanBinary(applied: ["9999_future"])) {
            try MigrationRunner.bundled.migrate(pool)
        }
    }

    @Test func testFailingMigrationLeavesNoPartialSchema() throws {
        let pool = try DatabaseConnection.open(path: temporaryPath())
        let broken = MigrationRunner(migrations: [
            SQLMigration(identifier: "0001_ok", sql: "CREATE TABLE a (x);"),
            SQLMigration(identifier: "0002_broken", sql: "CREATE TABLE b (x); THIS IS NOT SQL;"),
        ])
        #expect(throws: (any Error).self) { try broken.migrate(pool) }
        #expect(try broken.pending(pool) == ["0002_broken"])
        #expect(try !pool.read { db in try db.tableExists("b") })
    }

    @Test func testConnectionUsesWALNormalSyncAndForeignKeys() throws {
        let pool = try DatabaseConnection.open(path: temporaryPath())
        let (journal, synchronous, foreignKeys) = try pool.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                try Int.fetchOne(db, sql: "PRAGMA foreign_keys")
            )
        }
        #expect(journal == "wal")
        #expect(synchronous == 1)  // NORMAL
        #expect(foreignKeys == 1)
    }

    @Test func testAFileThatIsNotSQLiteIsRefused() throws {
        let path = temporaryPath()
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("not a database, just text that is long enough to be read as a header".utf8)
            .write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notAReverifyDatabase(path)) { try DatabaseConnection.open(path: path) }
    }

    @Test func testSomeoneElsesSQLiteDatabaseIsRefused() throws {
        let path = temporaryPath()
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "CREATE TABLE orders (id INTEGER)") }
        try queue.close()
        #expect(throws: StoreError.notAReverifyDatabase(path)) { try DatabaseConnection.open(path: path) }
    }
}
