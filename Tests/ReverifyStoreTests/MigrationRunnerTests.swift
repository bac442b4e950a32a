import Foundation
import GRDB
@testable import ReverifyStore
import XCTest

final class MigrationRunnerTests: XCTestCase {
    private func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("reverify-\(UUID().uuidString)/db.sqlite").path
    }

    func testBundledMigrationsAreNumberedAndOrdered() {
        let ids = MigrationRunner.bundled.migrations.map(\.identifier)
        XCTAssertEqual(ids.first, "0001_foundation")
        XCTAssertEqual(ids, ids.sorted())
    }

    func testMigrateAppliesEveryFileAndRecordsIt() throws {
        let pool = try DatabaseConnection.open(path: temporaryPath())
        let applied = try MigrationRunner.bundled.migrate(pool)
        XCTAssertEqual(applied, MigrationRunner.bundled.migrations.map(\.identifier))
        let recorded = try pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
        XCTAssertEqual(recorded, applied)
        XCTAssertTrue(try pool.read { db in try db.tableExists("sessions") && db.tableExists("audit_log") })
    }

    func testMigrateIsIdempotent() throws {
        let pool = try DatabaseConnection.open(path: temporaryPath())
        try MigrationRunner.bundled.migrate(pool)
        XCTAssertEqual(try MigrationRunner.bundled.migrate(pool), [])
        XCTAssertEqual(try MigrationRunner.bundled.pending(pool), [])
    }

    func testNewMigrationIsAppliedOnTopOfOlderSchema() throws {
        let pool = try DatabaseConnection.open(path: temporaryPath())
        let first = MigrationRunner(migrations: Array(MigrationRunner.bundled.migrations.prefix(1)))
        try first.migrate(pool)
        let later = Array(MigrationRunner.bundled.migrations.dropFirst().map(\.identifier))
        XCTAssertFalse(later.isEmpty)
        XCTAssertEqual(try MigrationRunner.bundled.pending(pool), later)
        XCTAssertEqual(try MigrationRunner.bundled.migrate(pool), later)
    }

    func testDatabaseFromANewerBinaryIsRefused() throws {
        let pool = try DatabaseConnection.open(path: temporaryPath())
        try MigrationRunner.bundled.migrate(pool)
        try pool.write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('9999_future')") }
        XCTAssertThrowsError(try MigrationRunner.bundled.migrate(pool)) {
            XCTAssertEqual($0 as? StoreError, .schemaNewerThanBinary(applied: ["9999_future"]))
        }
    }

    func testFailingMigrationLeavesNoPartialSchema() throws {
        let pool = try DatabaseConnection.open(path: temporaryPath())
        let broken = MigrationRunner(migrations: [
            SQLMigration(identifier: "0001_ok", sql: "CREATE TABLE a (x);"),
            SQLMigration(identifier: "0002_broken", sql: "CREATE TABLE b (x); THIS IS NOT SQL;"),
        ])
        XCTAssertThrowsError(try broken.migrate(pool))
        XCTAssertEqual(try broken.pending(pool), ["0002_broken"])
        XCTAssertFalse(try pool.read { db in try db.tableExists("b") })
    }

    func testConnectionUsesWALNormalSyncAndForeignKeys() throws {
        let pool = try DatabaseConnection.open(path: temporaryPath())
        try pool.read { db in
            XCTAssertEqual(try String.fetchOne(db, sql: "PRAGMA journal_mode"), "wal")
            XCTAssertEqual(try Int.fetchOne(db, sql: "PRAGMA synchronous"), 1)  // NORMAL
            XCTAssertEqual(try Int.fetchOne(db, sql: "PRAGMA foreign_keys"), 1)
        }
    }

    func testAFileThatIsNotSQLiteIsRefused() throws {
        let path = temporaryPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("not a database, just text that is long enough to be read as a header".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try DatabaseConnection.open(path: path)) {
            XCTAssertEqual($0 as? StoreError, .notAReverifyDatabase(path))
        }
    }

    func testSomeoneElsesSQLiteDatabaseIsRefused() throws {
        let path = temporaryPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "CREATE TABLE orders (id INTEGER)") }
        try queue.close()
        XCTAssertThrowsError(try DatabaseConnection.open(path: path)) {
            XCTAssertEqual($0 as? StoreError, .notAReverifyDatabase(path))
        }
    }
}
