import Foundation
import ReverifyCore
@testable import ReverifyStore
import Testing

/// Issue 14 item 2: the PostgreSQL schema files, applied by the same rules as SQLite's.
@Suite(.enabled(if: PostgresTestServer.adminURL != nil)) struct PostgresMigrationTests {
    @Test func everySQLiteMigrationHasAPostgreSQLTwin() {
        #expect(PostgresMigrationRunner.bundled.migrations.map(\.identifier) == MigrationRunner.bundled.migrations.map(\.identifier))
    }

    @Test func openingAppliesEveryFileOnceAndAgainNothing() async throws {
        let location = try await PostgresTestServer.freshDatabase()
        let store = try await PostgresStore.open(location, maximumConnections: 2)
        defer { store.close() }
        #expect(try await store.schemaStatus() == SchemaStatus(pending: [], unknown: []))
        let again = try await store.migrations.migrate(store.database)
        #expect(again.isEmpty)
        let recorded = try await store.database.read { tx in
            try await tx.values(String.self, "SELECT identifier FROM reverify_migrations ORDER BY identifier")
        }
        #expect(recorded == PostgresMigrationRunner.bundled.migrations.map(\.identifier))
    }

    @Test func instancesStartingTogetherApplyEachFileOnce() async throws {
        let location = try await PostgresTestServer.freshDatabase()
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let database = try await PostgresDatabase.connect(location, maximumConnections: 2)
                    defer { database.close() }
                    return try await PostgresMigrationRunner.bundled.migrate(database)
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(applied.sorted() == PostgresMigrationRunner.bundled.migrations.map(\.identifier))
    }

    @Test func aDatabaseMigratedByANewerBinaryIsRefused() async throws {
        let location = try await PostgresTestServer.freshDatabase()
        let store = try await PostgresStore.open(location, maximumConnections: 2)
        try await store.database.write { tx in
            _ = try await tx.execute("INSERT INTO reverify_migrations (identifier, applied_at) VALUES ('9999_future', 0)")
        }
        store.close()
        await #expect(throws: StoreError.schemaNewerThanBinary(applied: ["9999_future"])) {
            _ = try await PostgresStore.open(location, maximumConnections: 2)
        }
    }

    @Test func someoneElsesDatabaseIsRefused() async throws {
        let location = try await PostgresTestServer.freshDatabase()
        let database = try await PostgresDatabase.connect(location, maximumConnections: 2)
        try await database.write { tx in _ = try await tx.execute("CREATE TABLE invoices (id BIGINT PRIMARY KEY)") }
        database.close()
        await #expect(throws: StoreError.notAReverifyDatabase(location.redacted)) {
            _ = try await PostgresStore.open(location, maximumConnections: 2)
        }
    }

    @Test func aWrongPasswordIsOneClearErrorNotAHang() async throws {
        var location = try await PostgresTestServer.freshDatabase()
        location.password = "wrong"
        do {
            _ = try await PostgresStore.open(location, maximumConnections: 2)
            Issue.record("expected a refusal")
        } catch let error as StoreError {
            #expect(error.description.contains("password authentication failed"))
        }
    }

    @Test func nothingListeningIsOneClearErrorNotAHang() async throws {
        let location = PostgresLocation(host: "127.0.0.1", port: 1, username: "x", password: nil, database: "x", sslMode: .disable)
        do {
            _ = try await PostgresStore.open(location, maximumConnections: 2)
            Issue.record("expected a refusal")
        } catch let error as StoreError {
            #expect(error.description.hasPrefix("cannot connect to postgres://x@127.0.0.1:1/x"))
        }
    }
}
