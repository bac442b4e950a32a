import Foundation
import PostgresNIO

/// Applies the PostgreSQL schema files (`PostgresMigrations/NNNN_name.sql`, the same identifiers as the SQLite
/// ones) in order, each in its own transaction, recording them in `reverify_migrations` (issue 14 item 2).
///
/// Several instances may start at once: each migration runs under a transaction-scoped advisory lock and
/// re-reads what is applied after taking it, so each file is applied exactly once.
public struct PostgresMigrationRunner: Sendable {
    public let migrations: [SQLMigration]
    /// `pg_advisory_xact_lock` key: "reverify" in ASCII.
    static let lockKey: Int64 = 0x7265_7665_7269_6679

    public init(migrations: [SQLMigration]) {
        self.migrations = migrations.sorted { $0.identifier < $1.identifier }
    }

    public static let bundled: PostgresMigrationRunner = {
        guard let directory = Bundle.module.url(forResource: "PostgresMigrations", withExtension: nil) else {
            preconditionFailure("the PostgresMigrations resource is missing from the ReverifyStore bundle")
        }
        do {
            return PostgresMigrationRunner(migrations: try MigrationRunner.load(directory: directory))
        } catch {
            preconditionFailure("cannot read bundled PostgreSQL migrations: \(error)")
        }
    }()

    /// Brings the schema up to date; refuses a database a newer binary migrated, or one that holds tables but
    /// no `reverify_migrations` (someone else's database).
    /// - Returns: the identifiers applied by this call.
    @discardableResult
    func migrate(_ database: PostgresDatabase) async throws -> [String] {
        let before = try await status(database)
        if !before.unknown.isEmpty { throw StoreError.schemaNewerThanBinary(applied: before.unknown) }
        var applied: [String] = []
        for migration in migrations {
            let ran = try await database.writeLocking { tx in
                try await tx.execute("SELECT pg_advisory_xact_lock(?)", [Self.lockKey])
                try await tx.execute(
                    "CREATE TABLE IF NOT EXISTS reverify_migrations (identifier TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
                let done = try await tx.count(
                    "SELECT COUNT(*) FROM reverify_migrations WHERE identifier = ?", [migration.identifier])
                guard done == 0 else { return false }
                for statement in Self.statements(migration.sql) { try await tx.execute(statement) }
                try await tx.execute(
                    "INSERT INTO reverify_migrations (identifier, applied_at) VALUES (?, ?)",
                    [migration.identifier, Int64(Date().timeIntervalSince1970)])
                return true
            }
            if ran { applied.append(migration.identifier) }
        }
        return applied
    }

    /// What is applied against what this binary ships.
    func status(_ database: PostgresDatabase) async throws -> SchemaStatus {
        let (hasTable, otherTables, applied) = try await database.read { tx in
            let tables = try await tx.values(
                String.self, "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()")
            guard tables.contains("reverify_migrations") else { return (false, !tables.isEmpty, [String]()) }
            return (true, false, try await tx.values(String.self, "SELECT identifier FROM reverify_migrations"))
        }
        if !hasTable && otherTables {
            throw StoreError.notAReverifyDatabase(database.location.redacted)
        }
        let known = Set(migrations.map(\.identifier))
        let unknown = applied.filter { !known.contains($0) }.sorted()
        return SchemaStatus(pending: migrations.map(\.identifier).filter { !applied.contains($0) }, unknown: unknown)
    }

    /// Splits a schema file into statements (the extended protocol takes one at a time): at `;` outside
    /// `--` comments, quoted strings and identifiers, and dollar-quoted bodies (PL/pgSQL functions).
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let characters = Array(sql)
        var i = 0
        func flush() {
            let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { statements.append(trimmed) }
            current = ""
        }
        while i < characters.count {
            let c = characters[i]
            if c == "-" && i + 1 < characters.count && characters[i + 1] == "-" {
                while i < characters.count && characters[i] != "\n" { i += 1 }
                continue
            }
            if c == "'" || c == "\"" {
                current.append(c)
                i += 1
                while i < characters.count {
                    current.append(characters[i])
                    i += 1
                    if characters[i - 1] == c { break }
                }
                continue
            }
            if c == "$", let close = characters[(i + 1)...].firstIndex(of: "$"),
                characters[(i + 1)..<close].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            {
                let tag = String(characters[i...close])
                current += tag
                i = close + 1
                let rest = String(characters[i...])
                if let end = rest.range(of: tag) {
                    current += rest[..<end.upperBound]
                    i += rest.distance(from: rest.startIndex, to: end.upperBound)
                } else {
                    current += rest
                    i = characters.count
                }
                continue
            }
            if c == ";" {
                flush()
            } else {
                current.append(c)
            }
            i += 1
        }
        flush()
        return statements
    }
}
