import GRDB
import Synchronization

/// Notices events that other processes (the CLI, another `reverify serve`) commit to the outbox, which no
/// in-process observation can see (issue 13: commit-to-receipt p99 under 50 ms for them too, where the
/// worker used to find them on a fixed 250 ms poll).
///
/// It watches `PRAGMA data_version` on a connection of its own, which changes whenever any other connection
/// commits (SQLite "PRAGMA data_version"), and only then reads the newest outbox row id: two statements
/// answered from memory. The interval adapts: 2 ms right after a change, so a burst is followed closely,
/// doubling while nothing changes, up to ``idleInterval``, which bounds the latency at idle.
///
/// `data_version` also changes when this process commits, which its own observation has already announced.
/// Rows up to ``OwnOutboxCommits/newest`` are this process's, so the watcher neither announces them a second
/// time (a second claim pass per event) nor speeds up for them (polling every 2 ms under steady sign-ins).
struct OutboxCommitWatcher: Sendable {
    static let busyInterval: Duration = .milliseconds(2)
    static let idleInterval: Duration = .milliseconds(20)

    let connection: DatabaseQueue
    let own: OwnOutboxCommits
    /// What the outbox held when the watcher was made: anything committed after it is noticed.
    private let start: (version: Int, newest: Int64)

    /// A read-only connection to the database file at `path`.
    init(path: String, own: OwnOutboxCommits) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        configuration.label = "reverify.outbox-watcher"
        connection = try DatabaseQueue(path: path, configuration: configuration)
        self.own = own
        start = try connection.inDatabase { db in try Self.look(db) }
    }

    /// The version first, then the newest row: a commit between the two shows in the next version, so the
    /// next look reads the newest row again and nothing committed is missed. Each statement is its own
    /// snapshot, so neither needs a transaction.
    private static func look(_ db: Database) throws -> (version: Int, newest: Int64) {
        (try version(db), try newest(db))
    }

    private static func version(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0
    }

    private static func newest(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(rowid), 0) FROM outbox_events")) ?? 0
    }

    /// What the outbox holds, if anything committed since `known`. Read on the calling thread: two statements
    /// answered from memory cost less than the two thread hand-offs of an asynchronous read, 50 times a second.
    /// Kept statements, no transaction and no `read` (which brackets a read with `PRAGMA query_only`): in the
    /// issue 13 profile of sequential sign-ins, GRDB compiling five statements per look made this poll a
    /// fifth of the server's CPU outside Argon2id.
    private func lookIfChanged(since known: Int?) throws -> (version: Int, newest: Int64)? {
        try connection.inDatabase { db in
            let version = try Self.version(db)
            guard version != known else { return nil }
            return (version, try Self.newest(db))
        }
    }

    /// Calls `changed` each time the outbox gains rows, until the task is cancelled.
    func run(_ changed: @Sendable () -> Void) async {
        var version: Int? = start.version
        var newest: Int64? = start.newest
        var interval = Self.idleInterval
        while !Task.isCancelled {
            let seen = try? lookIfChanged(since: version)
            if let seen = seen ?? nil {
                version = seen.version
                // A foreign row below our newest was committed before our row's transaction began (SQLite has
                // one writer, and `seq` is AUTOINCREMENT), so the pass our own announcement started finds it.
                if let before = newest, seen.newest > max(before, own.newest) {
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

/// The newest outbox `seq` this process has committed, raised by its writer after each commit that touched
/// the outbox (``SQLiteStore/webhookEventNotifications()``).
final class OwnOutboxCommits: Sendable {
    private let value = Mutex<Int64>(0)

    var newest: Int64 { value.withLock { $0 } }

    func committed(upTo seq: Int64) {
        value.withLock { $0 = max($0, seq) }
    }
}
