import GRDB

/// Copies a pool's write-ahead log back into the database file from a connection of its own, so that the
/// writer never stops between two transactions to do it (issue 13).
///
/// SQLite's automatic checkpoint runs on the connection that commits, inside the commit that crosses
/// 1,000 log pages: every few hundred writes one request waited for thousands of pages to be copied and
/// two `fsync`s, and every request queued behind the writer waited with it. With it off and no checkpoint
/// at all, refresh p99 fell from ~7 to 4-6 ms and a password flood's silent authorize rose from ~1,200 to
/// ~1,500/s. A bigger automatic threshold raised throughput the same way but tripled p99: fewer, longer stops.
///
/// So the writer stops checkpointing (``takeOver()``) and ``pass()`` runs every so often on this connection,
/// beside the writer (SQLite lets a checkpoint run while a transaction commits). One thing it cannot do from
/// here: under steady writes a checkpoint taken beside the writer never catches up with the log's last page,
/// and SQLite starts the log over only after one has. So once the log holds ``restartFrames`` pages, a pass
/// also lets the writer checkpoint between two transactions; the pages left by then are the few written
/// during the pass, and the writer's next transaction starts the log over.
public final class WALCheckpointer: Sendable {
    /// What one ``pass()`` found and did.
    public struct Pass: Sendable, Equatable {
        /// Pages in the log when the pass ended (the log's high-water mark until the writer starts it over).
        public var logFrames: Int
        /// Pages of it now in the database file.
        public var checkpointedFrames: Int
        /// Whether the writer checkpointed too, so that its next transaction starts the log over.
        public var writerCheckpointed: Bool
    }

    /// SQLite's own default for `wal_autocheckpoint`, given back to the writer by ``handBack()``.
    public static let automaticCheckpointPages = 1000

    /// Log pages (4 KiB each by default) beyond which a pass has the writer finish the checkpoint.
    public let restartFrames: Int
    private let pool: DatabasePool
    private let connection: DatabaseQueue

    /// Opens this checkpointer's own connection to `pool`'s file, set up as the pool's are (`synchronous=NORMAL`
    /// decides which `fsync`s a checkpoint makes).
    public init(pool: DatabasePool, restartFrames: Int = 4096) throws {
        precondition(restartFrames > 0, "restartFrames must be positive")
        var configuration = pool.configuration
        configuration.label = "reverify.checkpointer"
        self.pool = pool
        self.restartFrames = restartFrames
        connection = try DatabaseQueue(path: pool.path, configuration: configuration)
    }

    /// From now on the writer leaves checkpoints to ``pass()``.
    public func takeOver() async throws {
        try await setWriterAutomaticCheckpoint(pages: 0)
    }

    /// The writer checkpoints by itself again, as SQLite does by default.
    public func handBack() async throws {
        try await setWriterAutomaticCheckpoint(pages: Self.automaticCheckpointPages)
    }

    /// The writer's `wal_autocheckpoint`.
    public func writerAutomaticCheckpointPages() async throws -> Int {
        try await pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? 0 }
    }

    /// One passive checkpoint on this connection (it never waits for readers or the writer); if the log has
    /// grown to ``restartFrames`` pages, another on the writer's connection between two of its transactions.
    /// `nil` when another connection (a CLI process) was checkpointing: the next pass does it.
    public func pass() async throws -> Pass? {
        guard let background = try await checkpoint(connection) else { return nil }
        guard background.walFrameCount >= restartFrames else {
            return Pass(
                logFrames: background.walFrameCount, checkpointedFrames: background.checkpointedFrameCount,
                writerCheckpointed: false)
        }
        guard let final = try await checkpoint(pool) else { return nil }
        return Pass(logFrames: final.walFrameCount, checkpointedFrames: final.checkpointedFrameCount, writerCheckpointed: true)
    }

    private func checkpoint(_ writer: some DatabaseWriter) async throws -> (walFrameCount: Int, checkpointedFrameCount: Int)? {
        do {
            return try await writer.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            return nil
        }
    }

    private func setWriterAutomaticCheckpoint(pages: Int) async throws {
        try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = \(pages)") }
    }
}
