import Foundation
import GRDB

/// Consistent copies of a live database and their restoration (issue 15.4), through SQLite's online backup
/// API (GRDB `backup(to:)`): the copy is one snapshot, taken while the server keeps reading and writing.
public enum DatabaseBackup {
    /// Copies `database` to a new file `destination`; an existing file is never overwritten.
    /// - Returns: the number of pages copied.
    @discardableResult
    public static func backup(database: String, to destination: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: database) else { throw StoreError.notFound("database \(database)") }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw StoreError.invalid("\(destination) already exists; a backup never overwrites a file")
        }
        let source = try DatabaseConnection.open(path: database)
        // Owner-only like the database itself: a backup holds the same hashes and (sealed) secrets.
        try PrivateFiles.createFile(destination)
        let copy = try DatabaseQueue(path: destination)
        var pages = 0
        do {
            try source.backup(to: copy) { progress in pages = progress.totalPageCount }
            // A self-contained file: the copy keeps no write-ahead log beside it.
            try copy.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try copy.close()
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw error
        }
        return pages
    }

    /// Replaces the content of `database` with the backup at `source`. Refuses while a server uses the database
    /// (``DatabaseLock``), a source that is not a Reverify database or that a newer binary migrated, and keeps
    /// the lock for the whole copy so no server starts half way.
    public static func restore(database: String, from source: String, migrations: MigrationRunner = .bundled) throws {
        guard FileManager.default.fileExists(atPath: source) else { throw StoreError.notFound("backup \(source)") }
        let lock = try DatabaseLock.exclusive(forDatabase: database)
        var configuration = Configuration()
        configuration.readonly = true
        let backup: DatabaseQueue
        do {
            backup = try DatabaseQueue(path: source, configuration: configuration)
            try DatabaseConnection.checkIsReverifyDatabase(backup, path: source)
            guard try backup.read({ db in try db.tableExists("grdb_migrations") }),
                try backup.read({ db in try String.fetchOne(db, sql: "PRAGMA quick_check") }) == "ok"
            else { throw StoreError.notAReverifyDatabase(source) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError.notAReverifyDatabase(source)
        }
        let unknown = try migrations.status(backup).unknown
        guard unknown.isEmpty else { throw StoreError.schemaNewerThanBinary(applied: unknown) }
        let target = try DatabaseConnection.open(path: database)
        try backup.backup(to: target)
        try target.close()
        withExtendedLifetime(lock) {}
    }
}
