import GRDB

/// Notices events that other processes (the CLI, another `reverify serve`) commit to the outbox, which no
/// in-process observation can see (issue 13: commit-to-receipt p99 under 50 ms for them too, where the
/// worker used to find them on a fixed 250 ms poll).
///
/// It watches `PRAGMA data_version` on a connection of its own, which changes whenever any other connection
/// commits (SQLite "PRAGMA data_version"), and only then reads the newest outbox row id: two statements
/// answered from memory. The interval adapts: 2 ms right after a change, so a burst is followed closely,
/// doubling while nothing changes, up to ``idleInterval``, which bounds the latency at idle.
struct OutboxCommitWatcher: Sendable {
    static let busyInterval: Duration = .milliseconds(2)
    static let idleInterval: Duration = .milliseconds(20)

    let connection: DatabaseQueue
    /// What the outbox held when the watcher was made: anything committed after it is noticed.
    private let start: (version: Int, newest: Int64)

    /// A read-only connection to the database file at `path`.
    init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        configuration.label = "reverify.outbox-watcher"
        connection = try DatabaseQueue(path: path, configuration: configuration)
        start = try connection.read { db in try Self.look(db) }
    }

    private static func look(_ db: Database) throws -> (version: Int, newest: Int64) {
        (try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0,
         try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(rowid), 0) FROM outbox_events") ?? 0)
    }

    /// Calls `changed` each time the outbox gains rows, until the task is cancelled.
    func run(_ changed: @Sendable () -> Void) async {
        var version: Int? = start.version
        var newest: Int64? = start.newest
        var interval = Self.idleInterval
        while !Task.isCancelled {
            let known = version
            let seen = try? await connection.read { db -> (version: Int, newest: Int64)? in
                guard try Int.fetchOne(db, sql: "PRAGMA data_version") != known else { return nil }
                return try Self.look(db)
            }
            if let seen = seen ?? nil {
                version = seen.version
                if let before = newest, seen.newest > before {
                    changed()
                    interval = Self.busyInterval
                }
                newest = seen.newest
            }
            try? await Task.sleep(for: interval)
            interval = min(interval * 2, Self.idleInterval)
        }
    }
}
