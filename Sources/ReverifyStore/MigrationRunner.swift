import Foundation
import GRDB

/// One numbered schema file from `migrations/NNNN_name.sql`.
public struct SQLMigration: Sendable, Equatable {
    public let identifier: String
    public let sql: String
}

/// Applies the `migrations/*.sql` files in order through GRDB's `DatabaseMigrator`, which records
/// each applied identifier in `grdb_migrations` and runs each file in its own transaction.
public struct MigrationRunner: Sendable {
    public let migrations: [SQLMigration]

    public init(migrations: [SQLMigration]) {
        self.migrations = migrations.sorted { $0.identifier < $1.identifier }
    }

    /// The migrations shipped inside this binary.
    public static let bundled: MigrationRunner = {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            preconditionFailure("the Migrations resource is missing from the ReverifyStore bundle")
        }
        do {
            return MigrationRunner(migrations: try load(directory: directory))
        } catch {
            preconditionFailure("cannot read bundled migrations: \(error)")
        }
    }()

    /// Reads `NNNN_name.sql` files; anything else in the folder is ignored.
    public static func load(directory: URL) throws -> [SQLMigration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return try names.filter(isMigrationFileName)
            .sorted()
            .map { name in
                SQLMigration(
                    identifier: String(name.dropLast(4)),
                    sql: try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
            }
    }

    /// `NNNN_name.sql`: four digits, an underscore, then lower-case letters, digits and underscores. Checked byte
    /// by byte: Foundation's `.regularExpression` loads ICU's regex engine at every start, which then stays
    /// resident (1.5 MiB of idle RSS, issue 13).
    static func isMigrationFileName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count > 9, bytes.suffix(4).elementsEqual(".sql".utf8), bytes[4] == UInt8(ascii: "_") else { return false }
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        let isNameByte = { (byte: UInt8) in
            isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || byte == UInt8(ascii: "_")
        }
        return bytes[..<4].allSatisfy(isDigit) && bytes[5..<(bytes.count - 4)].allSatisfy(isNameByte)
    }

    var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.identifier) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }

    /// Brings the schema up to date. Idempotent; refuses a database that a newer binary migrated.
    /// - Returns: the identifiers applied by this call.
    @discardableResult
    public func migrate(_ writer: some DatabaseWriter) throws -> [String] {
        let migrator = self.migrator
        let before = try writer.read { db in
            if try migrator.hasBeenSuperseded(db) {
                let known = Set(migrations.map(\.identifier))
                throw StoreError.schemaNewerThanBinary(
                    applied: try migrator.appliedIdentifiers(db).filter { !known.contains($0) }.sorted())
            }
            return try migrator.appliedIdentifiers(db)
        }
        try migrator.migrate(writer)
        return migrations.map(\.identifier).filter { !before.contains($0) }
    }

    /// What is applied against what this binary ships, for readiness (issue 15.5).
    public func status(_ reader: some DatabaseReader) throws -> SchemaStatus {
        try reader.read { db in
            let applied = try migrator.appliedIdentifiers(db)
            let known = Set(migrations.map(\.identifier))
            return SchemaStatus(
                pending: migrations.map(\.identifier).filter { !applied.contains($0) },
                unknown: applied.filter { !known.contains($0) }.sorted())
        }
    }

    /// Identifiers not yet applied to this database.
    public func pending(_ reader: some DatabaseReader) throws -> [String] {
        try reader.read { db in
            let applied = try migrator.appliedIdentifiers(db)
            return migrations.map(\.identifier).filter { !applied.contains($0) }
        }
    }
}
