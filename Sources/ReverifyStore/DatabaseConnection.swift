import Foundation
import GRDB

/// Opens the SQLite file the way Reverify needs it: WAL, `synchronous=NORMAL`, foreign keys, busy timeout.
public enum DatabaseConnection {
    public static func configuration(busyTimeout: TimeInterval = 5) -> Configuration {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(busyTimeout)
        config.prepareDatabase { db in
            // WAL is set by DatabasePool; NORMAL is durable across application crashes in WAL mode.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            TransactionTimer.install(on: db)
        }
        return config
    }

    /// Opens (creating if needed) a database pool at `path`, creating the parent folder. The file holds signing
    /// keys and webhook and upstream secrets, so it and its `-wal`/`-shm` files are owner-only (``PrivateFiles``).
    public static func open(path: String, busyTimeout: TimeInterval = 5) throws -> DatabasePool {
        let url = URL(fileURLWithPath: path)
        try PrivateFiles.createDirectory(url.deletingLastPathComponent())
        try PrivateFiles.createFile(path)
        for file in [path, path + "-wal", path + "-shm"] { PrivateFiles.tighten(file) }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration(busyTimeout: busyTimeout))
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError.notAReverifyDatabase(path)
        }
        try checkIsReverifyDatabase(pool, path: path)
        return pool
    }

    /// A non-empty database without our migration table is someone else's file: refuse to touch it.
    static func checkIsReverifyDatabase(_ reader: some DatabaseReader, path: String) throws {
        do {
            try reader.read { db in
                let tables = try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                if !tables.isEmpty && !tables.contains("grdb_migrations") {
                    throw StoreError.notAReverifyDatabase(path)
                }
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError.notAReverifyDatabase(path)
        }
    }
}
