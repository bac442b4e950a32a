import Foundation
import GRDB
import ReverifyCore

/// `reverify copy-data`: moves a SQLite deployment onto PostgreSQL (issue 14 item 5) — every table, every row,
/// the same values (sealed secrets stay sealed under the same master key: their associated data is the row id),
/// in one PostgreSQL transaction, so a failure leaves the target as empty as it was.
///
/// Refused unless the SQLite file is up to date with this binary and no server holds it (its rows must not move
/// while they are copied), and unless the target holds no rows: a copy never merges into a live deployment.
public enum SQLiteToPostgresCopy {
    /// Rows copied per table, in the order they were copied.
    public struct Report: Sendable, Equatable {
        public var tables: [(name: String, rows: Int)]
        public var totalRows: Int { tables.reduce(0) { $0 + $1.rows } }

        public static func == (a: Report, b: Report) -> Bool {
            a.tables.map(\.name) == b.tables.map(\.name) && a.tables.map(\.rows) == b.tables.map(\.rows)
        }
    }

    /// Tables whose rows the target makes itself.
    static let bookkeeping: Set<String> = ["reverify_migrations", "cache_generations"]

    public static func copy(fromSQLite path: String, to target: PostgresStore) async throws -> Report {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.notFound("SQLite database \(path)") }
        let lock: DatabaseLock
        do {
            lock = try DatabaseLock.exclusive(forDatabase: path)
        } catch {
            throw StoreError.invalid("\(path) is in use by a running server; stop it before copying its data")
        }
        defer { withExtendedLifetime(lock) {} }
        let source = try DatabaseConnection.open(path: path)
        let pending = try MigrationRunner.bundled.pending(source)
        guard pending.isEmpty else {
            throw StoreError.invalid(
                "the SQLite database needs migrating first (\(pending.joined(separator: ", "))); run `reverify migrate --database \(path)`")
        }
        return try await target.database.write { tx in
            let tables = try await tablesInDependencyOrder(tx)
            for table in tables where !bookkeeping.contains(table) {
                // Reverify's internal client (migration 0020) is in every database, the source's included.
                let seeded = table == "clients" ? " WHERE internal = 0" : ""
                if try await tx.value(Int64.self, "SELECT 1 FROM \(table)\(seeded) LIMIT 1") != nil {
                    throw StoreError.invalid(
                        "the PostgreSQL database is not empty (\(table) has rows); copy-data only fills a new database")
                }
            }
            try await tx.execute("DELETE FROM clients WHERE internal = 1")
            var report = Report(tables: [])
            for table in tables where !bookkeeping.contains(table) {
                let columns = try await tx.values(
                    String.self,
                    "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
                    [table])
                let rows = try await source.read { db in
                    try Row.fetchAll(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM \(table)").map {
                        Array($0.databaseValues)
                    }
                }
                // PostgreSQL takes at most 65,535 parameters per statement.
                let batch = max(1, 30_000 / max(columns.count, 1))
                var start = 0
                while start < rows.count {
                    let slice = rows[start..<min(start + batch, rows.count)]
                    let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
                    let values = Array(repeating: tuple, count: slice.count).joined(separator: ", ")
                    let arguments: PostgresTransaction.Arguments = slice.flatMap { $0.map { $0 as (any DatabaseValueConvertible)? } }
                    try await tx.execute("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(values)", arguments)
                    start += batch
                }
                // Identity columns continue after the copied ids.
                for column in try await tx.values(
                    String.self,
                    "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND is_identity = 'YES'",
                    [table])
                {
                    try await tx.execute(
                        "SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX(\(column)) FROM \(table)), 0) + 1, false)",
                        [table, column])
                }
                report.tables.append((table, rows.count))
            }
            return report
        }
    }

    /// Every table of the schema, each after the tables its foreign keys reference.
    static func tablesInDependencyOrder(_ tx: PostgresTransaction) async throws -> [String] {
        let tables = try await tx.values(
            String.self, "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
        let edges = try await tx.rows(
            """
            SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent FROM pg_constraint c
            JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = current_schema()
            """)
        var parents: [String: Set<String>] = [:]
        for edge in edges {
            let child: String = edge["child"], parent: String = edge["parent"]
            if child != parent { parents[child, default: []].insert(parent) }
        }
        var ordered: [String] = []
        var placed: Set<String> = []
        while ordered.count < tables.count {
            let ready = tables.filter { !placed.contains($0) && (parents[$0] ?? []).isSubset(of: placed) }
            guard !ready.isEmpty else { throw StoreError.invalid("the schema's foreign keys form a cycle") }
            ordered += ready
            placed.formUnion(ready)
        }
        return ordered
    }
}
