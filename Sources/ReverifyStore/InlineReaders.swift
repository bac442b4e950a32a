import GRDB
import Synchronization

/// Connections of their own to the same SQLite file for the busiest point reads, run on the calling thread.
///
/// An async read through GRDB's pool hops three times (the pool's waiting queue, the reader's queue, back to
/// the task): in the issue 13 profile a quarter of an introspection was the kernel switching threads. A
/// connection here is checked out for one read and returned before the caller can suspend, so no read ever
/// waits for another one, and in WAL mode a reader never waits for the writer: the caller's thread only does
/// the microseconds of SQLite work an async read would have done elsewhere.
final class InlineReaders: Sendable {
    private let path: String
    private let configuration: Configuration
    /// Idle connections. One is made whenever none is idle; as many as threads ever read at once are kept.
    private let idle = Mutex<[DatabaseQueue]>([])

    init(path: String, configuration: Configuration) {
        var configuration = configuration
        // Opened read-only, a connection reads as it is. A writable one would bracket every read with
        // `PRAGMA query_only` and a savepoint, and SQLite then prepares its cached statements again: that cost
        // the silent authorize a third of its rate (issue 13).
        configuration.readonly = true
        self.path = path
        self.configuration = configuration
    }

    /// `body` in one read-only transaction (a consistent snapshot), on a connection no one else is using.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try onIdleConnection { db in
            // GRDB's `read` would begin and commit with SQL it compiles anew each time: as much as a point lookup.
            try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
            do {
                let value = try body(db)
                try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                return value
            } catch {
                try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute()
                throw error
            }
        }
    }

    /// `body`, which runs one statement, outside any transaction: one statement is one snapshot already, and
    /// beginning and committing a transaction cost as much as a point lookup.
    func readStatement<T>(_ body: (Database) throws -> T) throws -> T {
        try onIdleConnection(body)
    }

    /// `body` on an idle connection (a new one when none is), which is kept again when `body` returns.
    private func onIdleConnection<T>(_ body: (Database) throws -> T) throws -> T {
        let connection = try idle.withLock { $0.popLast() } ?? makeConnection()
        defer { idle.withLock { $0.append(connection) } }
        return try connection.inDatabase(body)
    }

    func makeConnection() throws -> DatabaseQueue {
        try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Connections kept for the next reads.
    var idleCount: Int { idle.withLock { $0.count } }
}
